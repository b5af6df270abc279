output "endpoint_url" {
  description = "The emulator the stack lives on."
  value       = var.endpoint_url
}

output "region" {
  description = "Region of the stack."
  value       = var.region
}

output "uploads_bucket_name" {
  description = "Uploads bucket."
  value       = module.data_plane.uploads_bucket_name
}

output "outputs_bucket_name" {
  description = "Outputs bucket."
  value       = module.data_plane.outputs_bucket_name
}

output "jobs_table_name" {
  description = "DynamoDB jobs table."
  value       = module.data_plane.jobs_table_name
}

output "queue_name" {
  description = "Jobs queue."
  value       = module.data_plane.queue_name
}

output "queue_url" {
  description = "URL of the jobs queue."
  value       = module.data_plane.queue_url
}

output "queue_arn" {
  description = "ARN of the jobs queue."
  value       = module.data_plane.queue_arn
}

output "dlq_name" {
  description = "Dead-letter queue."
  value       = module.data_plane.dlq_name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = module.data_plane.dlq_url
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = module.data_plane.dlq_arn
}

output "events_dlq_name" {
  description = "Upload events EventBridge could not deliver to the jobs queue."
  value       = module.data_plane.events_dlq_name
}

output "events_dlq_url" {
  description = "URL of the events DLQ."
  value       = module.data_plane.events_dlq_url
}

output "events_dlq_arn" {
  description = "ARN of the events DLQ."
  value       = module.data_plane.events_dlq_arn
}

output "topic_name" {
  description = "Job-events topic."
  value       = module.data_plane.topic_name
}

output "topic_arn" {
  description = "ARN of the job-events topic."
  value       = module.data_plane.topic_arn
}

output "event_rule_name" {
  description = "EventBridge rule sending uploads to the queue."
  value       = module.data_plane.event_rule_name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = module.data_plane.event_rule_arn
}

output "service_env" {
  description = "Environment for `imgpipe api` / `imgpipe worker` against this stack (make a key with `imgpipe keys create`)."
  value = merge(module.data_plane.service_env, {
    IMGPIPE_RATE_LIMITS_TABLE  = module.data_plane.resources.rate_limits_table_name
    IMGPIPE_ENVIRONMENT        = "local"
    IMGPIPE_AWS_ENDPOINT_URL   = var.endpoint_url
    IMGPIPE_DRAIN_SECONDS      = tostring(var.drain_seconds)
    IMGPIPE_WORKER_CONCURRENCY = tostring(var.worker_concurrency)
    IMGPIPE_ANALYSIS_ENGINE    = var.analysis_engine
    IMGPIPE_QUEUE_WAIT_SECONDS = tostring(var.queue_wait_seconds)
  })
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = module.monitoring.alarm_topic_arn
}

output "alarm_names" {
  description = "Alarms by key (docs/operations.md has a section for each)."
  value       = module.monitoring.alarm_names
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.monitoring.dashboard_name
}
