variable "region" {
  type        = string
  description = "AWS region of the whole stack."
}

variable "name" {
  type        = string
  description = "Prefix of every resource name."
  default     = "imgpipe-prod"
}

variable "image_tag" {
  type        = string
  description = "Commit SHA the deployed api and worker images were built from (CI passes -var image_tag=$GITHUB_SHA)."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the API's HTTPS listener (for the API's DNS name)."
}

variable "cors_allowed_origins" {
  type        = list(string)
  description = "Origins of the web pages allowed to upload to and download from the buckets directly: at least the API's public origin (e.g. [\"https://imgpipe.example.com\"]), whose /ui results page uploads from the browser."
  nullable    = false
}

variable "vpc_id" {
  type        = string
  description = "Existing VPC; null creates one."
  default     = null
}

variable "availability_zones" {
  type        = list(string)
  description = "Zones of the VPC created when vpc_id is null (at least two), e.g. [\"eu-west-1a\", \"eu-west-1b\"]; empty: the region's first two. Fargate runs in most zones, not all (e.g. not in use1-az3): name them if the first two include such a zone."
  default     = []
  nullable    = false
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Load balancer subnets in vpc_id (at least two AZs)."
  default     = []
  nullable    = false
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Task subnets in vpc_id (with a route to AWS APIs)."
  default     = []
  nullable    = false
}

variable "visibility_timeout_seconds" {
  type        = number
  description = "Jobs queue visibility timeout = IMGPIPE_VISIBILITY_TIMEOUT_SECONDS: above the longest job, at least drain_seconds."
  default     = 120
}

variable "max_receive_count" {
  type        = number
  description = "Deliveries before a message goes to the DLQ (IMGPIPE_MAX_RECEIVE_COUNT)."
  default     = 5
}

variable "drain_seconds" {
  type        = number
  description = "Worker drain on SIGTERM (IMGPIPE_DRAIN_SECONDS), at most 90; the tasks' ECS stopTimeout is this + 30 s."
  default     = 90
}

variable "worker_concurrency" {
  type        = number
  description = "Jobs per worker task (IMGPIPE_WORKER_CONCURRENCY)."
  default     = 4
}

variable "worker_min_capacity" {
  type        = number
  description = "Fewest worker tasks (0 scales to zero when idle)."
  default     = 1
}

variable "worker_max_capacity" {
  type        = number
  description = "Most worker tasks."
  default     = 10
}

variable "acceptable_latency_seconds" {
  type        = number
  description = "Longest an upload should wait in the queue before a worker starts it."
  default     = 60
}

variable "avg_processing_seconds" {
  type        = number
  description = "Average seconds per job, measured from the worker logs."
  default     = 5
}

variable "slack_team_id" {
  type        = string
  description = "Slack workspace (team) id that alarms are posted to through AWS Chatbot; authorise the workspace once in the Chatbot console first. null or empty: no Slack (subscribe to the alarm_topic_arn output yourself)."
  default     = null
}

variable "slack_channel_id" {
  type        = string
  description = "Slack channel id for the alarms (with slack_team_id); invite @aws into the channel."
  default     = null

  validation {
    condition     = (var.slack_team_id == null || var.slack_team_id == "") == (var.slack_channel_id == null || var.slack_channel_id == "")
    error_message = "Set slack_team_id and slack_channel_id together, or neither."
  }
}

variable "chatbot_region" {
  type        = string
  description = "Region whose AWS Chatbot API creates the Slack channel configuration (the API exists in these four only)."
  default     = "us-east-2"

  validation {
    condition     = contains(["us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1"], var.chatbot_region)
    error_message = "chatbot_region must be us-east-2, us-west-2, eu-west-1 or ap-southeast-1 (where the Chatbot API is)."
  }
}

variable "runbook_url" {
  type        = string
  description = "Where the runbook is, named in every alarm's description (each alarm adds its #section): e.g. the URL of docs/operations.md in your repository."
  default     = "docs/operations.md"
}

variable "waf_enabled" {
  type        = bool
  description = "WAF web ACL on the load balancer: AWS managed common rule set and known bad inputs, and a per-IP rate limit (waf_rate_limit)."
  default     = true
}

variable "waf_rate_limit" {
  type        = number
  description = "Requests one IP may make in any 5 minutes before WAF blocks it."
  default     = 2000
}

variable "alb_access_logs_enabled" {
  type        = bool
  description = "Load balancer access logs to a bucket \"<name>-alb-logs-<account id>\" the stack creates, expiring after alb_access_logs_expiration_days."
  default     = true
}

variable "alb_access_logs_expiration_days" {
  type        = number
  description = "Days the load balancer's access logs are kept."
  default     = 90
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the containers' (and WAF's) CloudWatch log groups."
  default     = 365
}

variable "cpu_architecture" {
  type        = string
  description = "X86_64 or ARM64 (Graviton, cheaper per vCPU-hour): the architecture the task definitions ask for. The images must be built for it."
  default     = "X86_64"
}

variable "worker_fargate_spot" {
  type        = bool
  description = "Workers above worker_on_demand_base on Fargate Spot (cheaper, reclaimable with a 2-minute notice the drain fits in). Switching replaces the worker service."
  default     = false
}

variable "worker_on_demand_base" {
  type        = number
  description = "With worker_fargate_spot: worker tasks always on regular Fargate."
  default     = 1
}
