"""RabbitMQ sink: upstream's exchanges and quorum queues, with confirms and no loss while the broker is down."""
