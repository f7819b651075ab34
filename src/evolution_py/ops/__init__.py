"""The operator's side, just above the store: Prometheus metrics (`ops.metrics`), the start-up
database check (`ops.preflight`) and the /metrics access rules (`ops.metrics_access`). Any layer may
call into it; it imports only the store and the bottom modules."""
