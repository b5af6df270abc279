output "api_url" {
  description = "Base URL of the API (load balancer name; add a DNS alias matching the certificate)."
  value       = module.service.api_url
}

output "ecr_repository_urls" {
  description = "Repositories CI pushes the api and worker images to."
  value       = module.service.ecr_repository_urls
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.service.cluster_name
}

output "api_service_name" {
  description = "ECS service of the API."
  value       = module.service.api_service_name
}

output "worker_service_name" {
  description = "ECS service of the workers."
  value       = module.service.worker_service_name
}

output "task_definition_arns" {
  description = "Task definitions (family:revision) by service (\"api\", \"worker\"); the deploy workflow points the services at them."
  value       = module.service.task_definition_arns
}

output "api_keys_table_name" {
  description = "DynamoDB table of API keys: run `imgpipe keys create NAME` with IMGPIPE_API_KEYS_TABLE set to it."
  value       = module.data_plane.api_keys_table_name
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

output "queue_url" {
  description = "Jobs queue."
  value       = module.data_plane.queue_url
}

output "dlq_url" {
  description = "Dead-letter queue (alarm on its depth; redrive from the console or `aws sqs start-message-move-task`)."
  value       = module.data_plane.dlq_url
}

output "topic_arn" {
  description = "Job-events topic to subscribe consumers to."
  value       = module.data_plane.topic_arn
}

output "service_env" {
  description = "IMGPIPE_* environment shared by both containers (the API also gets the API-keys secret's ARN)."
  value       = module.service.service_env
}

output "alb_dns_name" {
  description = "DNS name of the load balancer: point the API's DNS name at it (Route 53 alias with alb_zone_id)."
  value       = module.service.alb_dns_name
}

output "alb_zone_id" {
  description = "Hosted zone id of the load balancer, for a Route 53 alias record."
  value       = module.service.alb_zone_id
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (Slack through Chatbot when slack_team_id is set; subscribe e-mail or a pager here)."
  value       = module.monitoring.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline (docs/operations.md)."
  value       = module.monitoring.dashboard_name
}

output "events_dlq_name" {
  description = "Upload events EventBridge could not deliver to the jobs queue (alarm when not empty; redrive with `IMGPIPE_DLQ_NAME=<it> imgpipe dlq redrive`)."
  value       = module.data_plane.events_dlq_name
}

output "events_dlq_arn" {
  description = "ARN of the events DLQ."
  value       = module.data_plane.events_dlq_arn
}
