import {
  InterceptingCall,
  ListenerBuilder,
  RequesterBuilder,
  type Interceptor,
  type StatusObject,
} from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, type GrpcRetryOptions } from '@temporalio/client';

/**
 * Temporal's gRPC retry interceptor (`makeGrpcRetryInterceptor`: same options, same backoff), made
 * safe to outlive its connection.
 *
 * The SDK's interceptor waits between attempts on a bare `setTimeout` that nothing can stop: a call
 * that failed with a retryable status (common on a loaded machine, or while the server restarts)
 * starts its next attempt even after the connection was closed, and `Channel has been shut down` is
 * thrown from the timer, an uncaught exception that ends the process. This one
 * - gives the wait up when the call is cancelled (an aborted Temporal call), so an aborted call ends
 *   at once instead of after its next attempt;
 * - ends the call with the status of its last attempt when the channel is closed by the time the next
 *   attempt is due.
 */
export function closableGrpcRetryInterceptor(options: GrpcRetryOptions = defaultGrpcRetryOptions()): Interceptor {
  return (callOptions, nextCall) => {
    let sentMessage: unknown;
    let receivedMessage: unknown;
    let passMessageOn: ((message: unknown) => void) | undefined;
    let giveUpWaiting: (() => void) | undefined;

    const requester = new RequesterBuilder()
      .withStart((metadata, caller, next) => {
        let attempt = 1;
        const listener = new ListenerBuilder()
          .withOnReceiveMessage((message, nextMessage) => {
            receivedMessage = message;
            passMessageOn = nextMessage;
          })
          .withOnReceiveStatus((firstStatus, passStatusOn) => {
            const finish = (status: StatusObject): void => {
              // The first attempt's message callback when it had one; a later attempt's message (after
              // a first attempt that failed without one) goes to the caller's listener directly.
              if (passMessageOn) passMessageOn(receivedMessage);
              else if (receivedMessage !== undefined) caller.onReceiveMessage(receivedMessage);
              passStatusOn(status);
            };
            const retry = (status: StatusObject): void => {
              attempt++;
              let call: ReturnType<typeof nextCall>;
              try {
                call = nextCall(callOptions);
              } catch {
                // The channel was closed while this call waited: it ends with its last status.
                finish(status);
                return;
              }
              call.start(metadata, {
                onReceiveMessage(message: unknown) {
                  receivedMessage = message;
                },
                onReceiveStatus,
              });
              call.sendMessage(sentMessage);
              call.halfClose();
            };
            const onReceiveStatus = (status: StatusObject): void => {
              if (!options.retryableDecider(attempt, status)) {
                finish(status);
                return;
              }
              const timer = setTimeout(
                () => {
                  giveUpWaiting = undefined;
                  retry(status);
                },
                options.delayFunction(attempt, status),
              );
              giveUpWaiting = () => {
                clearTimeout(timer);
                giveUpWaiting = undefined;
                finish(status);
              };
            };
            onReceiveStatus(firstStatus);
          })
          .build();
        next(metadata, listener);
      })
      .withSendMessage((message, next) => {
        sentMessage = message;
        next(message);
      })
      .withCancel((next) => {
        // Between attempts there is no call below to cancel: give the wait up instead.
        giveUpWaiting?.();
        next();
      })
      .build();
    return new InterceptingCall(nextCall(callOptions), requester);
  };
}
