"""Many nodes sharing PostgreSQL, Redis and RabbitMQ (CLUSTER_ENABLED; docs/cluster.md): heartbeats,
instance leases with fencing tokens, placement by rendezvous hashing, hand-over and takeover."""
