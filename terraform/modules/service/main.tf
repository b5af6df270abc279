# The compute side: the API behind an HTTPS load balancer and the queue workers, both on ECS Fargate, with
# least-privilege roles onto the data plane and a worker fleet that scales on backlog per task.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  dp         = var.data_plane

  api_port       = 8000
  heartbeat_file = "/tmp/imgpipe/worker-heartbeat"
  # The worker's SQS long poll (IMGPIPE_QUEUE_WAIT_SECONDS, the app's default and maximum).
  queue_wait_seconds = 20

  # After SIGTERM the worker finishes its current long poll, then lets in-flight jobs run for up to
  # drain_seconds, then exits; ECS must not SIGKILL it before that. 10 s more for returning unstarted messages
  # and exiting. drain_seconds' validation keeps this within Fargate's 120 s maximum.
  stop_timeout = var.drain_seconds + local.queue_wait_seconds + 10

  # Settings shared by both services (core/config.py reads IMGPIPE_*): the data plane's (resource names, the
  # queue's retry contract), then this module's. The API's own are in local.services.
  service_env = merge(local.dp.service_env, {
    IMGPIPE_ENVIRONMENT        = "aws"
    IMGPIPE_LOG_LEVEL          = var.log_level
    IMGPIPE_DRAIN_SECONDS      = tostring(var.drain_seconds)
    IMGPIPE_QUEUE_WAIT_SECONDS = tostring(local.queue_wait_seconds)
    IMGPIPE_WORKER_CONCURRENCY = tostring(var.worker_concurrency)
    IMGPIPE_ANALYSIS_ENGINE    = "rekognition"
    IMGPIPE_HEARTBEAT_FILE     = local.heartbeat_file
  })

  # What differs between the two containers. Both images run the `imgpipe` CLI (entryPoint is set explicitly so
  # the commands hold whatever ENTRYPOINT the Dockerfile has).
  services = {
    api = {
      cpu     = var.api_cpu
      memory  = var.api_memory
      command = ["api", "--host", "0.0.0.0", "--port", tostring(local.api_port)]
      ports   = [{ containerPort = local.api_port, protocol = "tcp", name = "http" }]
      # Liveness only (no AWS call): `imgpipe healthcheck api` asks /healthz on the port above (the CLI's default).
      health_check = ["CMD", "imgpipe", "healthcheck", "api"]
      # The API reads each key from the data plane's keys table by id and keeps it api_keys_cache_seconds: a
      # revoked key is refused by every API task within that time.
      env = {
        IMGPIPE_API_KEYS_CACHE_SECONDS = tostring(var.api_keys_cache_seconds)
      }
      start_period = 30
    }
    worker = {
      cpu     = var.worker_cpu
      memory  = var.worker_memory
      command = ["worker"]
      ports   = []
      # `imgpipe healthcheck worker`: the heartbeat file (IMGPIPE_HEARTBEAT_FILE), touched before every long poll
      # and while waiting for a free slot, is younger than two polls (IMGPIPE_QUEUE_WAIT_SECONDS) plus 30 s.
      health_check = ["CMD", "imgpipe", "healthcheck", "worker"]
      env          = {}
      start_period = 60
    }
  }

  # Backlog per task the worker fleet keeps: a task clears worker_concurrency / avg_processing_seconds messages per
  # second, so a backlog of B messages per task waits B * avg_processing_seconds / worker_concurrency seconds.
  backlog_per_task_target = var.acceptable_latency_seconds / var.avg_processing_seconds * var.worker_concurrency
}
