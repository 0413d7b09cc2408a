export { addressScope, type AddressScope } from './address.ts';
export { createSsrfGuard, SsrfBlockedError, type SsrfGuard, type SsrfGuardOptions } from './ssrf.ts';
export { signBody, verifySignature, standardWebhookHeaders } from './signing.ts';
export { deliver, RESPONSE_BODY_LIMIT, type DeliveryErrorKind, type DeliveryRequest, type DeliveryResult } from './deliver.ts';
export { outboundMigrations } from './migrations.ts';
export { createOutbound } from './dispatcher.ts';
export type { DeliveryStatus } from './repository.ts';
export type {
  DeliveryListener,
  DeliveryPolicy,
  DeliveryQuery,
  DeliverySigning,
  NewDelivery,
  Outbound,
  OutboundDelivery,
  OutboundOptions,
} from './types.ts';
