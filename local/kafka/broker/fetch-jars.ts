import { fetchKafkaJars, KafkaJarsMissingError } from './kafka-jars';

/** `npm run kafka:fetch`: the broker's classpath, fetched once into the cache. */
fetchKafkaJars((line) => process.stderr.write(`${line}\n`)).then(
  (dir) => process.stdout.write(`Kafka broker jars: ${dir}\n`),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(error instanceof KafkaJarsMissingError ? 2 : 1);
  },
);
