variable "name" {
  type        = string
  description = "Prefix of every resource name. With \"imgpipe\" the names equal the app's built-in defaults (core/config.py)."
  default     = "imgpipe"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters of lower-case letters, digits and hyphens (it is part of bucket names)."
  }
}

variable "uploads_bucket_name" {
  type        = string
  description = "Name of the uploads bucket; null means \"<name>-uploads\". Bucket names are global: production passes one with the account id in it."
  default     = null
}

variable "outputs_bucket_name" {
  type        = string
  description = "Name of the outputs bucket; null means \"<name>-outputs\"."
  default     = null
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete non-empty buckets. Only for throw-away stacks (emulators, previews)."
  default     = false
}

variable "enforce_tls" {
  type        = bool
  description = "Attach bucket policies denying any request not made over TLS (aws:SecureTransport). Must be false on emulators reached over plain HTTP: moto applies the deny and answers 403."
  default     = true
}

variable "restrict_dlq_sources" {
  type        = bool
  description = "Allow only the jobs queue to use the DLQ (a redrive allow policy). Must be false on moto, where creating that policy never finishes."
  default     = true
}

variable "cors_allowed_origins" {
  type        = list(string)
  description = "Origins of the web pages that upload with presigned POSTs (uploads bucket) and fetch results (outputs bucket): at least the API's own public origin, whose /ui page does both. Empty: no CORS rules, browsers cannot upload."
  default     = []
  nullable    = false
}

variable "uploads_expiration_days" {
  type        = number
  description = "Days after which objects under `uploads/` are deleted. Keep it at least as long as a message can wait in the queue plus the DLQ (14 days) if DLQ redrives should still find their upload."
  default     = 14

  validation {
    condition     = var.uploads_expiration_days >= 1
    error_message = "uploads_expiration_days must be at least 1."
  }
}

variable "outputs_expiration_days" {
  type        = number
  description = "Days after which objects under `processed/` are deleted. Match the app's IMGPIPE_JOB_RETENTION_DAYS so results outlive no job record and vice versa."
  default     = 30

  validation {
    condition     = var.outputs_expiration_days >= 1
    error_message = "outputs_expiration_days must be at least 1."
  }
}

variable "visibility_timeout_seconds" {
  type        = number
  description = <<-EOT
    SQS visibility timeout of the jobs queue, and the app's IMGPIPE_VISIBILITY_TIMEOUT_SECONDS (the worker leases a
    job for this long and does not extend it). It must exceed the longest time one job can take, or a slow job is
    delivered a second time while still running. It must also be at least the worker's drain time
    (IMGPIPE_DRAIN_SECONDS, itself below the ECS stopTimeout): a job still draining on a stopping task must not
    reappear on another task.
  EOT
  default     = 120

  validation {
    condition     = var.visibility_timeout_seconds >= 10 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be between 10 (the app's minimum) and 43200 (the SQS maximum)."
  }
}

variable "max_receive_count" {
  type        = number
  description = "Deliveries of a message before SQS moves it to the DLQ (redrive policy), and the app's IMGPIPE_MAX_RECEIVE_COUNT."
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "message_retention_seconds" {
  type        = number
  description = "How long the jobs queue keeps a message. Must cover every retry (visibility_timeout_seconds x max_receive_count), or messages expire instead of reaching the DLQ."
  default     = 345600 # 4 days: survives a weekend-long worker outage

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600 (14 days)."
  }

  validation {
    condition     = var.message_retention_seconds >= var.visibility_timeout_seconds * var.max_receive_count
    error_message = "message_retention_seconds must be at least visibility_timeout_seconds x max_receive_count, or messages expire before reaching the DLQ."
  }
}

variable "event_retry_max_age_seconds" {
  type        = number
  description = "How long EventBridge keeps retrying an upload event it cannot deliver to the jobs queue before moving it to the events DLQ (AWS's default is 24 h). A delivery still failing after an hour is a configuration fault (queue policy, KMS) that needs a person; the DLQ and its alarm bring it to one sooner, and keep the event 14 days."
  default     = 3600

  validation {
    condition     = var.event_retry_max_age_seconds >= 60 && var.event_retry_max_age_seconds <= 86400
    error_message = "event_retry_max_age_seconds must be between 60 and 86400 (EventBridge's limits)."
  }
}

variable "event_retry_max_attempts" {
  type        = number
  description = "Most delivery attempts EventBridge makes (with backoff) within event_retry_max_age_seconds before the events DLQ."
  default     = 185

  validation {
    condition     = var.event_retry_max_attempts >= 0 && var.event_retry_max_attempts <= 185
    error_message = "event_retry_max_attempts must be between 0 and 185 (EventBridge's limits)."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "DynamoDB deletion protection on the jobs table. Turn off only for throw-away stacks."
  default     = true
}

variable "topic_kms_master_key_id" {
  type        = string
  description = "KMS key of the job-events topic's server-side encryption. The AWS-managed alias/aws/sns works for publishers that are IAM principals of this account (the worker)."
  default     = "alias/aws/sns"
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}

variable "callbacks_max_receive_count" {
  type        = number
  description = "Receives of a webhook message before it goes to the callbacks DLQ: above the dispatcher's attempts (1 + the waits of IMGPIPE_WEBHOOK_RETRY_SCHEDULE_SECONDS, 7 by default), so the DLQ keeps only messages it could not handle."
  default     = 9

  validation {
    condition     = var.callbacks_max_receive_count >= 2 && var.callbacks_max_receive_count <= 1000
    error_message = "callbacks_max_receive_count must be 2-1000."
  }
}
