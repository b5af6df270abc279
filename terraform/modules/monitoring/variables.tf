# What to watch: names and ARN suffixes of resources other modules own (this module creates none of them), then
# the alarm thresholds. Components are optional objects so that a root without them (envs/local: no load balancer
# or ECS) gets the alarms it can have, and so that creating an alarm never depends on a value known only after
# apply (an object with unknown attributes is still known to be non-null).

variable "name" {
  type        = string
  description = "Prefix of the alarm topic, alarms and dashboard (the stack's name, e.g. imgpipe-prod)."
}

variable "queue_name" {
  type        = string
  description = "Jobs queue (SQS) the worker consumes."
}

variable "dlq_name" {
  type        = string
  description = "Dead-letter queue of the jobs queue."
}

variable "events_dlq_name" {
  type        = string
  description = "Dead-letter queue of the EventBridge rule's target (uploads EventBridge could not deliver to the jobs queue); null: no such queue, no alarm."
  default     = null
}

variable "callbacks_dlq_name" {
  type        = string
  description = "Dead-letter queue of the webhook callbacks queue (outcomes the dispatcher could never handle); null: no alarm."
  default     = null
}

variable "event_rule_name" {
  type        = string
  description = "EventBridge rule sending uploads to the jobs queue (default event bus)."
}

variable "alb" {
  type = object({
    arn_suffix              = string
    target_group_arn_suffix = string
  })
  description = "The API's load balancer and target group (their arn_suffix, the CloudWatch dimensions); null: no load balancer alarms."
  default     = null
}

variable "ecs" {
  type = object({
    cluster_name        = string
    api_service_name    = string
    worker_service_name = string
  })
  description = "ECS cluster and services (running tasks on the dashboard, from Container Insights); null: none."
  default     = null
}

variable "log_group_names" {
  type = object({
    api    = string
    worker = string
  })
  description = "CloudWatch log groups of the API and worker containers (Logs Insights widgets on the dashboard); null: none."
  default     = null
}

variable "slack" {
  type = object({
    team_id    = string
    channel_id = string
  })
  description = "Slack workspace (team) id and channel id for AWS Chatbot; the workspace must have been authorised once in the Chatbot console. null: no Slack, subscribe to alarm_topic_arn yourself."
  default     = null
}

variable "runbook_url" {
  type        = string
  description = "Base of the runbook links in alarm descriptions (docs/operations.md in the repository); each alarm appends its section anchor."
  default     = "docs/operations.md"
}

variable "tags" {
  type        = map(string)
  description = "Tags of every resource."
  default     = {}
  nullable    = false
}

# Thresholds. Each alarm fires when its metric is strictly above the threshold (HealthyHostCount: below one).

variable "dlq_depth_threshold" {
  type        = number
  description = "Messages in a dead-letter queue (jobs or events) above which to alarm. 0: any message is a lost job or upload until someone redrives it."
  default     = 0

  validation {
    condition     = var.dlq_depth_threshold >= 0
    error_message = "dlq_depth_threshold must be 0 or more."
  }
}

variable "oldest_message_age_threshold_seconds" {
  type        = number
  description = "Age of the oldest message in the jobs queue, for 5 minutes in a row, above which uploads wait too long. Retries count: a message retried with backoff ages too, so keep it well above the visibility timeout."
  default     = 900

  validation {
    condition     = var.oldest_message_age_threshold_seconds >= 60
    error_message = "oldest_message_age_threshold_seconds must be at least 60."
  }
}

variable "failed_jobs_percent_threshold" {
  type        = number
  description = "Share of finished jobs that failed (any error code) over 15 minutes, in percent, above which to alarm."
  default     = 10

  validation {
    condition     = var.failed_jobs_percent_threshold >= 0 && var.failed_jobs_percent_threshold < 100
    error_message = "failed_jobs_percent_threshold must be between 0 and 100."
  }
}

variable "failed_jobs_min_count" {
  type        = number
  description = "Fewest finished jobs in the 15 minutes for the failed share to count (two bad uploads of three are not an incident)."
  default     = 20

  validation {
    condition     = var.failed_jobs_min_count >= 1
    error_message = "failed_jobs_min_count must be at least 1."
  }
}

variable "operator_error_codes" {
  type        = list(string)
  description = "Job error codes that need an operator whenever they occur (one alarm each on Jobs{Status=failed,ErrorCode=code}), unlike bad input (corrupt_image, unsupported_format, ...), which only counts towards the failed share."
  default     = ["processing_retries_exhausted", "upload_missing", "analysis_invalid_image"]
  nullable    = false

  validation {
    condition     = length(distinct(var.operator_error_codes)) == length(var.operator_error_codes) && alltrue([for c in var.operator_error_codes : can(regex("^[a-z0-9_]+$", c))])
    error_message = "operator_error_codes must be distinct job error codes (lower case, digits, underscores)."
  }
}

variable "task_protection_failures_threshold" {
  type        = number
  description = "Refused scale-in protection calls (TaskProtectionFailures) in 15 minutes above which to alarm; a single refusal only exposes one task to a scale-in, which its drain handles."
  default     = 4

  validation {
    condition     = var.task_protection_failures_threshold >= 0
    error_message = "task_protection_failures_threshold must be 0 or more."
  }
}

variable "alb_5xx_threshold" {
  type        = number
  description = "5xx answers (load balancer's own plus the API's) in 5 minutes above which to alarm."
  default     = 10

  validation {
    condition     = var.alb_5xx_threshold >= 0
    error_message = "alb_5xx_threshold must be 0 or more."
  }
}

variable "unhealthy_targets_threshold" {
  type        = number
  description = "API targets failing the load balancer's health check, for 3 minutes in a row, above which to alarm."
  default     = 0

  validation {
    condition     = var.unhealthy_targets_threshold >= 0
    error_message = "unhealthy_targets_threshold must be 0 or more."
  }
}

variable "api_p99_latency_threshold_seconds" {
  type        = number
  description = "API p99 response time (TargetResponseTime) over 5 minutes, three periods in a row, above which to alarm. The API only writes a record and signs a POST: it should answer well under a second."
  default     = 1

  validation {
    condition     = var.api_p99_latency_threshold_seconds > 0
    error_message = "api_p99_latency_threshold_seconds must be positive."
  }
}

variable "eventbridge_failed_invocations_threshold" {
  type        = number
  description = "Uploads EventBridge failed to deliver to the jobs queue (FailedInvocations + DeadLetterInvocations + InvocationsFailedToBeSentToDlq) in 5 minutes above which to alarm."
  default     = 0

  validation {
    condition     = var.eventbridge_failed_invocations_threshold >= 0
    error_message = "eventbridge_failed_invocations_threshold must be 0 or more."
  }
}
