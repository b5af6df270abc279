variable "name" {
  type        = string
  description = "Prefix of every resource name (cluster, services, repositories, roles, load balancer)."
  default     = "imgpipe"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lower-case letters, digits and hyphens (load balancer and target group names are limited to 32)."
  }
}

variable "data_plane" {
  type = object({
    uploads_bucket_arn         = string
    uploads_prefix             = string
    outputs_bucket_arn         = string
    outputs_prefix             = string
    jobs_table_arn             = string
    api_keys_table_arn         = string
    api_keys_kms_arn           = string
    rate_limits_table_name     = string
    rate_limits_table_arn      = string
    queue_name                 = string
    queue_arn                  = string
    topic_arn                  = string
    visibility_timeout_seconds = number
    service_env                = map(string)
    # Webhooks (worker/callbacks.py): the data-plane module's `resources` output has them.
    callbacks_queue_name = string
    callbacks_queue_arn  = string
  })
  description = "The data plane the services use: pass the data-plane module's `resources` output. Its `service_env` (IMGPIPE_* names of the buckets, table, queues, topic and rule, the queue's retry contract) reaches both containers as is."
  nullable    = false
}

variable "image_tag" {
  type        = string
  description = "Tag of both images in their ECR repositories: the commit SHA CI built them from. Repositories are immutable, so a tag always means the same image."

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag (letters, digits, '_', '.', '-'; at most 128)."
  }
}

# --- network (the network module's outputs) ------------------------------------------------------------------

variable "vpc_id" {
  type        = string
  description = "VPC of the load balancer and the tasks' security groups: the network module's `vpc_id` output."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets of the internet-facing load balancer, in at least two AZs: the network module's `public_subnet_ids`."
  nullable    = false

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "Give at least two public_subnet_ids (the load balancer needs two AZs)."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks, with a route to AWS APIs (NAT or VPC endpoints): the network module's `private_subnet_ids`."
  nullable    = false

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "Give at least one private_subnet_id."
  }
}

# --- load balancer ------------------------------------------------------------------------------------------

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the API's HTTPS listener. Clients send API keys in headers: plain HTTP is only a redirect."

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  type        = string
  description = "TLS policy of the HTTPS listener."
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "alb_ingress_cidrs" {
  type        = list(string)
  description = "IPv4 ranges allowed to reach the load balancer on 80/443."
  default     = ["0.0.0.0/0"]
  nullable    = false
}

variable "alb_deletion_protection" {
  type        = bool
  description = "Deletion protection of the load balancer."
  default     = true
}

variable "alb_access_logs_enabled" {
  type        = bool
  description = "Create a private bucket \"<name>-alb-logs-<account id>\" (SSE-S3, TLS only, expiring after alb_access_logs_expiration_days) and send the load balancer's access logs to it. Or give your own bucket in alb_access_logs_bucket."
  default     = false
}

variable "alb_access_logs_bucket" {
  type        = string
  description = "Existing bucket (with the ELB log-delivery policy) for the load balancer's access logs, instead of alb_access_logs_enabled; null: none."
  default     = null

  validation {
    condition     = !(var.alb_access_logs_enabled && var.alb_access_logs_bucket != null)
    error_message = "Set alb_access_logs_enabled (the module creates the bucket) or alb_access_logs_bucket (yours), not both."
  }
}

variable "alb_access_logs_expiration_days" {
  type        = number
  description = "Days the created access-log bucket keeps each log file."
  default     = 90

  validation {
    condition     = var.alb_access_logs_expiration_days >= 1
    error_message = "alb_access_logs_expiration_days must be at least 1."
  }
}

variable "alb_access_logs_force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete the created access-log bucket while it still holds logs."
  default     = false
}

variable "waf_enabled" {
  type        = bool
  description = "Create a WAFv2 web ACL on the load balancer: AWS managed common rule set and known bad inputs, and a rate-based rule blocking an IP above waf_rate_limit requests per 5 minutes. Its matches are logged (X-API-Key redacted) for log_retention_days."
  default     = false
}

variable "waf_rate_limit" {
  type        = number
  description = "Requests one IP may make in any 5 minutes before the web ACL blocks it (until its rate falls below)."
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 10 and 2,000,000,000 (WAF's limits)."
  }
}

variable "waf_web_acl_arn" {
  type        = string
  description = "An existing WAFv2 web ACL to associate with the load balancer instead of waf_enabled; null for none."
  default     = null

  validation {
    condition     = !(var.waf_enabled && var.waf_web_acl_arn != null)
    error_message = "Set waf_enabled (the module creates the web ACL) or waf_web_acl_arn (yours), not both."
  }
}

# --- containers ---------------------------------------------------------------------------------------------

variable "cpu_architecture" {
  type        = string
  description = "CPU architecture of both task definitions (runtime_platform): X86_64, or ARM64 (Graviton: AWS prices Fargate ARM64 about 20% below X86_64; the benchmarks in bench/ were measured on x86 only). The images must be built for it (docker buildx --platform linux/arm64); an image of the other architecture fails to start (exec format error)."
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "api_cpu" {
  type        = number
  description = "Fargate CPU units of an API task."
  default     = 256
}

variable "api_memory" {
  type        = number
  description = "Fargate memory (MiB) of an API task."
  default     = 512
}

variable "api_desired_count" {
  type        = number
  description = "API tasks (spread over the private subnets)."
  default     = 2

  validation {
    condition     = var.api_desired_count >= 1
    error_message = "api_desired_count must be at least 1."
  }
}

variable "worker_cpu" {
  type        = number
  description = "Fargate CPU units of a worker task (image decoding and thumbnails are CPU-bound)."
  default     = 1024
}

variable "worker_memory" {
  type        = number
  description = "Fargate memory (MiB) of a worker task; must hold worker_concurrency decoded images (IMGPIPE_MAX_IMAGE_PIXELS)."
  default     = 2048
}

variable "worker_concurrency" {
  type        = number
  description = "Jobs one worker task runs at once (IMGPIPE_WORKER_CONCURRENCY)."
  default     = 4

  validation {
    condition     = var.worker_concurrency >= 1 && var.worker_concurrency <= 64
    error_message = "worker_concurrency must be between 1 and 64 (the app's limits)."
  }
}

variable "drain_seconds" {
  type        = number
  description = <<-EOT
    How long a stopping worker lets in-flight jobs finish (IMGPIPE_DRAIN_SECONDS). The containers' ECS
    stopTimeout follows from it: drain_seconds + 20 s (the long poll the worker finishes first) + 10 s to exit,
    which Fargate caps at 120 s, hence at most 90. At most the queue's visibility timeout, so a draining job is
    not redelivered meanwhile.
  EOT
  default     = 90

  validation {
    condition     = var.drain_seconds >= 1 && var.drain_seconds <= 90
    error_message = "drain_seconds must be between 1 and 90: with the 20 s long poll and 10 s to exit, the ECS stopTimeout must stay within Fargate's 120 s."
  }

  validation {
    condition     = var.drain_seconds <= var.data_plane.visibility_timeout_seconds
    error_message = "drain_seconds must not exceed the queue's visibility timeout, or draining jobs are redelivered to other workers."
  }
}

variable "log_level" {
  type        = string
  description = "IMGPIPE_LOG_LEVEL of both services."
  default     = "INFO"
}

variable "api_keys_cache_seconds" {
  type        = number
  description = "How long an API task keeps a key it read from the keys table (IMGPIPE_API_KEYS_CACHE_SECONDS): a revocation (`imgpipe keys revoke`) is honoured by every API task within this time."
  default     = 60

  validation {
    condition     = var.api_keys_cache_seconds >= 1 && var.api_keys_cache_seconds <= 3600
    error_message = "api_keys_cache_seconds must be between 1 and 3600."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the containers' CloudWatch log groups (and of the WAF log)."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 365, ..., 3653)."
  }
}

variable "ecr_keep_images" {
  type        = number
  description = "Tagged images kept per repository (older ones expire); enough to roll back several releases."
  default     = 30
}

variable "ecr_force_delete" {
  type        = bool
  description = "Let `terraform destroy` delete repositories that still hold images."
  default     = false
}

variable "worker_fargate_spot" {
  type        = bool
  description = "Run the workers above worker_on_demand_base on Fargate Spot (up to ~70% cheaper). Spot tasks can be reclaimed with a 2-minute notice (SIGTERM); the worker's drain fits in it (stopTimeout = drain_seconds + 30 <= 120 s), so in-flight jobs finish or, if longer, are redelivered after the visibility timeout. Switching replaces the worker service (a short pause; messages wait in the queue)."
  default     = false
}

variable "worker_on_demand_base" {
  type        = number
  description = "With worker_fargate_spot: worker tasks always run on regular Fargate, so a Spot shortage or reclaim wave never leaves the queue without a consumer. Use 0 only with worker_min_capacity 0 (everything on Spot)."
  default     = 1

  validation {
    condition     = var.worker_on_demand_base >= 0 && var.worker_on_demand_base <= 100000
    error_message = "worker_on_demand_base must be between 0 and 100000 (ECS's limits)."
  }
}

# --- worker autoscaling -------------------------------------------------------------------------------------

variable "worker_min_capacity" {
  type        = number
  description = "Fewest worker tasks. 0 scales to zero when the queue is idle; a step policy then starts the first task when messages arrive (first-job latency: a few minutes)."
  default     = 1

  validation {
    condition     = var.worker_min_capacity >= 0
    error_message = "worker_min_capacity must not be negative."
  }
}

variable "worker_max_capacity" {
  type        = number
  description = "Most worker tasks."
  default     = 10

  validation {
    condition     = var.worker_max_capacity >= 1 && var.worker_max_capacity >= var.worker_min_capacity
    error_message = "worker_max_capacity must be at least 1 and at least worker_min_capacity."
  }
}

variable "acceptable_latency_seconds" {
  type        = number
  description = "Longest a message should wait in the queue. With avg_processing_seconds and worker_concurrency it sets the backlog per task the autoscaling keeps."
  default     = 60

  validation {
    condition     = var.acceptable_latency_seconds > 0
    error_message = "acceptable_latency_seconds must be positive."
  }
}

variable "avg_processing_seconds" {
  type        = number
  description = "Average wall-clock seconds one job takes (measure it from the worker logs)."
  default     = 5

  validation {
    condition     = var.avg_processing_seconds > 0
    error_message = "avg_processing_seconds must be positive."
  }
}

variable "worker_scale_out_cooldown_seconds" {
  type        = number
  description = "Seconds after a scale-out before the next one (new tasks need about a minute to start)."
  default     = 60
}

variable "worker_scale_in_cooldown_seconds" {
  type        = number
  description = "Seconds after a scale-in before the next one; scale in slowly, stopping tasks drain for up to two minutes."
  default     = 300
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
