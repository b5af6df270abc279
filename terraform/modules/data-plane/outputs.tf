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

output "jobs_table_arn" {
  description = "ARN of the jobs table."
  value       = aws_dynamodb_table.jobs.arn
}

output "rate_limits_table_name" {
  description = "DynamoDB table of per-key request counts (IMGPIPE_RATE_LIMITS_TABLE)."
  value       = aws_dynamodb_table.rate_limits.name
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
    uploads_bucket_name    = aws_s3_bucket.this["uploads"].bucket
    uploads_bucket_arn     = aws_s3_bucket.this["uploads"].arn
    uploads_prefix         = local.uploads_prefix
    outputs_bucket_name    = aws_s3_bucket.this["outputs"].bucket
    outputs_bucket_arn     = aws_s3_bucket.this["outputs"].arn
    outputs_prefix         = local.outputs_prefix
    jobs_table_name        = aws_dynamodb_table.jobs.name
    jobs_table_arn         = aws_dynamodb_table.jobs.arn
    rate_limits_table_name = aws_dynamodb_table.rate_limits.name
    rate_limits_table_arn  = aws_dynamodb_table.rate_limits.arn
    queue_name             = aws_sqs_queue.jobs.name
    queue_arn              = aws_sqs_queue.jobs.arn
    dlq_name               = aws_sqs_queue.dlq.name
    topic_name             = aws_sns_topic.job_events.name
    topic_arn              = aws_sns_topic.job_events.arn
    event_rule_name        = aws_cloudwatch_event_rule.upload_created.name
    # The queue's retry contract, which the worker's settings must repeat.
    visibility_timeout_seconds = var.visibility_timeout_seconds
    max_receive_count          = var.max_receive_count
  }
}

output "service_env" {
  description = "The app's IMGPIPE_* settings this module decides: resource names and the queue's retry contract. Roots add the rest."
  value = {
    IMGPIPE_AWS_REGION                 = data.aws_region.current.name
    IMGPIPE_UPLOADS_BUCKET             = aws_s3_bucket.this["uploads"].bucket
    IMGPIPE_OUTPUTS_BUCKET             = aws_s3_bucket.this["outputs"].bucket
    IMGPIPE_JOBS_TABLE                 = aws_dynamodb_table.jobs.name
    IMGPIPE_RATE_LIMITS_TABLE          = aws_dynamodb_table.rate_limits.name
    IMGPIPE_QUEUE_NAME                 = aws_sqs_queue.jobs.name
    IMGPIPE_DLQ_NAME                   = aws_sqs_queue.dlq.name
    IMGPIPE_TOPIC_NAME                 = aws_sns_topic.job_events.name
    IMGPIPE_EVENT_RULE_NAME            = aws_cloudwatch_event_rule.upload_created.name
    IMGPIPE_VISIBILITY_TIMEOUT_SECONDS = tostring(var.visibility_timeout_seconds)
    IMGPIPE_MAX_RECEIVE_COUNT          = tostring(var.max_receive_count)
  }
}
