"""socket.io sink (per-instance namespaces and global mode) and the plain /ws stream fed by the same deliveries."""
