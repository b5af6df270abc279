output "uploads_bucket_name" {
  description = "Bucket clients upload into (IMGPIPE_UPLOADS_BUCKET)."
  value       = aws_s3_bucket.this["uploads"].bucket
}

output "uploads_bucket_arn" {
  description = "ARN of the uploads bucket."
  value       = aws_s3_bucket.this["uploads"].arn
}

output "outputs_bucket_name" {
  description = "Bucket the worker writes results into (IMGPIPE_OUTPUTS_BUCKET)."
  value       = aws_s3_bucket.this["outputs"].bucket
}

output "outputs_bucket_arn" {
  description = "ARN of the outputs bucket."
  value       = aws_s3_bucket.this["outputs"].arn
}

output "jobs_table_name" {
  description = "DynamoDB jobs table (IMGPIPE_JOBS_TABLE)."
  value       = aws_dynamodb_table.jobs.name
}

output "api_keys_table_name" {
  description = "DynamoDB table of API keys (`imgpipe keys` manages it with IMGPIPE_API_KEYS_TABLE set to this)."
  value       = aws_dynamodb_table.api_keys.name
}

output "jobs_table_arn" {
  description = "ARN of the jobs table."
  value       = aws_dynamodb_table.jobs.arn
}

output "queue_name" {
  description = "Jobs queue the EventBridge rule targets (IMGPIPE_QUEUE_NAME)."
  value       = aws_sqs_queue.jobs.name
}

output "queue_url" {
  description = "URL of the jobs queue."
  value       = aws_sqs_queue.jobs.id
}

output "queue_arn" {
  description = "ARN of the jobs queue."
  value       = aws_sqs_queue.jobs.arn
}

output "dlq_name" {
  description = "Dead-letter queue of the jobs queue (IMGPIPE_DLQ_NAME)."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "events_dlq_name" {
  description = "Queue of the upload events EventBridge could not deliver to the jobs queue (alarm when it is not empty)."
  value       = aws_sqs_queue.events_dlq.name
}

output "events_dlq_url" {
  description = "URL of the events DLQ."
  value       = aws_sqs_queue.events_dlq.id
}

output "events_dlq_arn" {
  description = "ARN of the events DLQ."
  value       = aws_sqs_queue.events_dlq.arn
}

output "topic_name" {
  description = "SNS topic of job outcomes (IMGPIPE_TOPIC_NAME)."
  value       = aws_sns_topic.job_events.name
}

output "topic_arn" {
  description = "ARN of the job-events topic (subscribe consumers here)."
  value       = aws_sns_topic.job_events.arn
}

output "event_rule_name" {
  description = "EventBridge rule sending uploads to the queue (IMGPIPE_EVENT_RULE_NAME)."
  value       = aws_cloudwatch_event_rule.upload_created.name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule (the queue policy's aws:SourceArn)."
  value       = aws_cloudwatch_event_rule.upload_created.arn
}

output "resources" {
  description = "Everything the service module needs about the data plane, as one object (its `data_plane` variable)."
  value = {
    uploads_bucket_arn = aws_s3_bucket.this["uploads"].arn
    uploads_prefix     = local.uploads_prefix
    outputs_bucket_arn = aws_s3_bucket.this["outputs"].arn
    outputs_prefix     = local.outputs_prefix
    jobs_table_arn     = aws_dynamodb_table.jobs.arn
    api_keys_table_arn = aws_dynamodb_table.api_keys.arn
    api_keys_kms_arn   = aws_kms_key.api_keys.arn
    queue_name         = aws_sqs_queue.jobs.name
    queue_arn          = aws_sqs_queue.jobs.arn
    topic_arn          = aws_sns_topic.job_events.arn
    # The worker's drain must end within the queue's visibility timeout (the service module validates it).
    visibility_timeout_seconds = var.visibility_timeout_seconds
    service_env                = local.service_env

    # Webhooks (callbacks.tf).
    callbacks_queue_name = aws_sqs_queue.callbacks.name
    callbacks_queue_arn  = aws_sqs_queue.callbacks.arn
  }
}

output "service_env" {
  description = "The app's IMGPIPE_* settings this module decides: resource names and the queue's retry contract. Roots and the service module add the rest."
  value       = local.service_env
}
