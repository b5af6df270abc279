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

  # Settings shared by both services (core/config.py reads IMGPIPE_*); the API's own are in local.services.
  service_env = {
    IMGPIPE_ENVIRONMENT                = "aws"
    IMGPIPE_LOG_LEVEL                  = var.log_level
    IMGPIPE_AWS_REGION                 = local.region
    IMGPIPE_UPLOADS_BUCKET             = local.dp.uploads_bucket_name
    IMGPIPE_OUTPUTS_BUCKET             = local.dp.outputs_bucket_name
    IMGPIPE_JOBS_TABLE                 = local.dp.jobs_table_name
    IMGPIPE_QUEUE_NAME                 = local.dp.queue_name
    IMGPIPE_DLQ_NAME                   = local.dp.dlq_name
    IMGPIPE_TOPIC_NAME                 = local.dp.topic_name
    IMGPIPE_EVENT_RULE_NAME            = local.dp.event_rule_name
    IMGPIPE_VISIBILITY_TIMEOUT_SECONDS = tostring(local.dp.visibility_timeout_seconds)
    IMGPIPE_MAX_RECEIVE_COUNT          = tostring(local.dp.max_receive_count)
    IMGPIPE_DRAIN_SECONDS              = tostring(var.drain_seconds)
    IMGPIPE_QUEUE_WAIT_SECONDS         = tostring(local.queue_wait_seconds)
    IMGPIPE_WORKER_CONCURRENCY         = tostring(var.worker_concurrency)
    IMGPIPE_ANALYSIS_ENGINE            = "rekognition"
    IMGPIPE_HEARTBEAT_FILE             = local.heartbeat_file
  }

  api_keys_secret_arn = coalesce(var.api_keys_secret_arn, one(aws_secretsmanager_secret.api_keys[*].arn))

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
      # The API reads the keys from Secrets Manager itself, with its task role, and re-reads them every
      # api_keys_cache_seconds: a rotation needs no deploy. (An ECS `secrets` value is read once, at task start.)
      env = {
        IMGPIPE_API_KEYS_SECRET_ID     = local.api_keys_secret_arn
        IMGPIPE_API_KEYS_CACHE_SECONDS = tostring(var.api_keys_cache_seconds)
        IMGPIPE_RATE_LIMITS_TABLE      = local.dp.rate_limits_table_name
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

  create_vpc         = var.vpc_id == null
  vpc_id             = local.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  public_subnet_ids  = local.create_vpc ? aws_subnet.public[*].id : var.public_subnet_ids
  private_subnet_ids = local.create_vpc ? aws_subnet.private[*].id : var.private_subnet_ids
}
