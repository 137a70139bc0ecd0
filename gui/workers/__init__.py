"""Background work: the task helper, jobs, thumbnails."""
