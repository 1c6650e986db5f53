// The ports the services listen on inside the stack, the same on both platforms.
export const PORTS = {
  bindplane: 3001,
  transformAgent: 4568,
  postgres: 5432,
  prometheus: 9090,
  kafka: 9092,
  kafkaController: 9093,
  natsClient: 4222,
  natsCluster: 6222,
  natsHttp: 8222,
  pubsub: 8085,
} as const;
