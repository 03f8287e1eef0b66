"""HTTP pieces shared by every route: problem details, health checks."""
