import type { TestProject } from 'vitest/node';
import { type KafkaBroker, startKafkaBroker } from '../../../local/kafka/broker/kafka-broker';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBootstrap: string;
  }
}

/**
 * One real broker for every file of test/kafka; each test makes its own
 * topics and consumer groups. Missing jars are fetched with Maven first;
 * without Maven the run fails with the command to run, it never skips.
 */
export default async function setup(project: TestProject) {
  const broker: KafkaBroker = await startKafkaBroker({ log: (line) => console.info(line) });
  project.provide('kafkaBootstrap', broker.bootstrap);
  return async () => {
    await broker.stop();
  };
}
