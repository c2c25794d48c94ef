import { Duration, Validations } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MessagingProps {
  /** EventBridge `source` of every notification (docs/behaviour.md, "The outbox"). */
  readonly notificationSource: string;
  /** 0 keeps archived notifications forever. */
  readonly archiveRetentionDays: number;
}

/** Retention of every dead-letter queue: the SQS maximum, so an incident can wait for Monday. */
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * The notification bus with its archive and an example delivery rule, and
 * every queue that holds what the pipeline could not process: rejected usage
 * events, batches the event-source mappings gave up on, failed schedule
 * invocations. Each of them is watched by an alarm (observability).
 */
export class Messaging extends Construct {
  readonly bus: EventBus;
  /** Example consumer: the notification service reads notifications from here. */
  readonly notificationQueue: Queue;
  readonly notificationDeadLetterQueue: Queue;
  /** Rejected usage, policy and family events: the original Kafka record and the reason. */
  readonly rejectedEventsQueue: Queue;
  /** Metadata of Kafka batches the usage-events MSK mapping discarded after its retry/age limits. */
  readonly usageEventsFailureQueue: Queue;
  /** The same for the two change-events mappings (policy-updated, family-updated). */
  readonly changeEventsFailureQueue: Queue;
  /** Metadata of outbox stream batches the relay's mapping discarded (the sweeper still publishes them). */
  readonly relayFailureQueue: Queue;
  /** Metadata of ledger stream batches the archiver's mapping discarded: fates missing from the archive. */
  readonly archiveFailureQueue: Queue;
  /**
   * Sweeper runs that did not happen: invocations EventBridge Scheduler could not
   * deliver, and events Lambda dropped from its asynchronous queue (throttled
   * past their maximum age, or failed).
   */
  readonly sweeperScheduleDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);

    // No fixed name: CDK derives one from the stack and construct path, so two stacks never share a bus.
    this.bus = new EventBus(this, 'Bus');
    const notifications = { source: [props.notificationSource] };
    this.bus.archive('Archive', {
      description: 'Every notification, for replay to a new or recovering consumer',
      eventPattern: notifications,
      retention: Duration.days(props.archiveRetentionDays),
    });

    this.rejectedEventsQueue = this.deadLetterQueue(
      'RejectedEvents',
      'it is the dead-letter queue the usage-events and change-events functions write rejected events to (SendMessage), not a source queue with a redrive policy',
    );
    this.usageEventsFailureQueue = this.deadLetterQueue(
      'UsageEventsFailures',
      'it is the on-failure destination of the usage-events MSK event-source mapping',
    );
    this.changeEventsFailureQueue = this.deadLetterQueue(
      'ChangeEventsFailures',
      'it is the on-failure destination of the two change-events MSK event-source mappings',
    );
    this.relayFailureQueue = this.deadLetterQueue(
      'RelayFailures',
      'it is the on-failure destination of the outbox stream event-source mapping',
    );
    this.archiveFailureQueue = this.deadLetterQueue(
      'ArchiveFailures',
      'it is the on-failure destination of the ledger stream event-source mapping of the settlement archiver',
    );
    this.sweeperScheduleDeadLetterQueue = this.deadLetterQueue(
      'SweeperScheduleDlq',
      "it is the dead-letter queue of the sweeper schedule and the on-failure destination of the sweeper's asynchronous invocations",
    );
    // Named in the notification queue's redrive policy, so cdk-nag already sees it as a dead-letter queue.
    this.notificationDeadLetterQueue = new Queue(this, 'NotificationDlq', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });

    this.notificationQueue = new Queue(this, 'Notifications', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.notificationDeadLetterQueue, maxReceiveCount: 5 },
    });
    new Rule(this, 'DeliverToNotificationService', {
      eventBus: this.bus,
      description: 'Example: deliver every notification to the notification service queue',
      eventPattern: notifications,
      targets: [
        new SqsQueue(this.notificationQueue, {
          deadLetterQueue: this.notificationDeadLetterQueue,
          maxEventAge: Duration.hours(24),
          retryAttempts: 185,
        }),
      ],
    });
  }

  private deadLetterQueue(id: string, why: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter store: ${why}. Nothing consumes it automatically; an alarm watches its depth.`,
    });
    return queue;
  }
}
