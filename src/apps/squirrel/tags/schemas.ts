import { Type } from '@sinclair/typebox';

/** Names are trimmed by the service; a blank one fails here (spec §3.4). */
export const tagName = Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' });
const description = Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]));

export const newTag = Type.Object({ name: tagName, description });

export const createGroupBody = Type.Object({
  name: tagName,
  description,
  tags: Type.Optional(Type.Array(newTag, { maxItems: 1000 })),
});

export const updateBody = Type.Object({ name: Type.Optional(tagName), description });

export const groupParams = Type.Object({ id: Type.String() });
export const tagParams = Type.Object({ id: Type.String(), tid: Type.String() });
export const forceQuery = Type.Object({ force: Type.Boolean({ default: false }) });
export const skipDuplicatesQuery = Type.Object({ skip_duplicates: Type.Boolean({ default: false }) });

export const MAX_BULK_TAGS = 10_000;
export const bulkImportBody = Type.Object({
  groups: Type.Record(Type.String(), Type.Array(Type.String({ maxLength: 255 }), { maxItems: MAX_BULK_TAGS }), { maxProperties: 1000 }),
});
