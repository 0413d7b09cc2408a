/** burrow's Channel Access client (spec §5.3). */
export { Context, type ContextOptions, type ContextStats } from './context.ts';
export {
  Channel,
  type ChannelEvents,
  type ChannelState,
  type GetOptions,
  type OperationOptions,
  type PutOptions,
  type SubscribeOptions,
} from './channel.ts';
export { Subscription, type SubscriptionListener } from './subscription.ts';
export { readCaClientConfig, parseAddressList, type CaClientConfig, type CaLogger, type SearchDestination } from './config.ts';
export type { CaReading, DbrRequest, PutValue } from './values.ts';
