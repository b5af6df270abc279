variable "endpoint_url" {
  type        = string
  description = "The emulator every AWS call goes to (moto server, LocalStack). `imgpipe dev` runs moto on port 5000."
  default     = "http://127.0.0.1:5000"

  validation {
    condition     = can(regex("^https?://", var.endpoint_url))
    error_message = "endpoint_url must be an http(s) URL."
  }
}

variable "region" {
  type        = string
  description = "Region the emulator pretends to be."
  default     = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix of every resource name; \"imgpipe\" gives the app's built-in default names."
  default     = "imgpipe"
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "Jobs queue visibility timeout (IMGPIPE_VISIBILITY_TIMEOUT_SECONDS)."
  default     = 120
}

variable "max_receive_count" {
  type        = number
  description = "Deliveries before a message goes to the DLQ (IMGPIPE_MAX_RECEIVE_COUNT)."
  default     = 5
}

variable "drain_seconds" {
  type        = number
  description = "Worker drain on SIGTERM (IMGPIPE_DRAIN_SECONDS)."
  default     = 90
}

variable "worker_concurrency" {
  type        = number
  description = "Jobs per worker process (IMGPIPE_WORKER_CONCURRENCY)."
  default     = 4
}

variable "queue_wait_seconds" {
  type        = number
  description = "Worker long-poll wait (IMGPIPE_QUEUE_WAIT_SECONDS). Short by default, as in `imgpipe dev`, so a stopping worker exits within a second; production keeps 20."
  default     = 1

  validation {
    condition     = var.queue_wait_seconds >= 0 && var.queue_wait_seconds <= 20
    error_message = "queue_wait_seconds must be between 0 and 20 (the SQS maximum)."
  }
}

variable "analysis_engine" {
  type        = string
  description = "IMGPIPE_ANALYSIS_ENGINE: \"rekognition\" (moto answers Detect* with canned results), \"local\" or \"off\"."
  default     = "rekognition"

  validation {
    condition     = contains(["rekognition", "local", "off"], var.analysis_engine)
    error_message = "analysis_engine must be rekognition, local or off."
  }
}
