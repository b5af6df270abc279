"""What the tests and the benchmarks (bench/) both drive imgpipe with: generated images, jobs created and uploaded
through the API as a client does, and the queues and topic a job's events pass through. Not part of the service
(never installed, not in the images)."""
