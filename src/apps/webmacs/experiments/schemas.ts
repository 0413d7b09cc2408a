import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../schemas.ts';

export const Experiment = Type.Object({
  public_id: Type.String(),
  name: Type.String(),
  started_on: Type.String(),
  stopped_on: Nullable(Type.String()),
  user_public_id: Type.String(),
});

export const ExperimentCreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) });
export type ExperimentCreateBody = Static<typeof ExperimentCreateBody>;

export const ExperimentUpdateBody = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) });
export type ExperimentUpdateBody = Static<typeof ExperimentUpdateBody>;
