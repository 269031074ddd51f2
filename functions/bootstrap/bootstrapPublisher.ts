/**
 * Publishes one message to a bridge, server-side: the embedded broker's `publish`, or the AWS IoT
 * data plane (iot-data Publish) on AWS. QoS 1, never retained: a bootstrap delivery holds a key.
 */
export type BridgePublisher = (message: { readonly topic: string; readonly payload: string }) => Promise<void>;

/** The publisher could not hand the message to the broker; the task may be retried. */
export class BridgePublishFailed extends Error {
  override name = 'BridgePublishFailed';
}
