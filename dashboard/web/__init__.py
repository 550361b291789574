"""Server-rendered pages: sign-in, batches, tasks."""
