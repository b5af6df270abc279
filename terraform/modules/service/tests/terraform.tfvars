# Inputs shared by every *.tftest.hcl here (terraform test reads this file for all of them).
name               = "imgpipe"
image_tag          = "0123abc"
availability_zones = ["eu-west-1a", "eu-west-1b"]
certificate_arn    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
data_plane = {
  uploads_bucket_name        = "imgpipe-uploads-123456789012"
  uploads_bucket_arn         = "arn:aws:s3:::imgpipe-uploads-123456789012"
  uploads_prefix             = "uploads/"
  outputs_bucket_name        = "imgpipe-outputs-123456789012"
  outputs_bucket_arn         = "arn:aws:s3:::imgpipe-outputs-123456789012"
  outputs_prefix             = "processed/"
  jobs_table_name            = "imgpipe-jobs"
  jobs_table_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-jobs"
  rate_limits_table_name     = "imgpipe-rate-limits"
  rate_limits_table_arn      = "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-rate-limits"
  queue_name                 = "imgpipe-uploads"
  queue_arn                  = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads"
  dlq_name                   = "imgpipe-uploads-dlq"
  topic_name                 = "imgpipe-job-events"
  topic_arn                  = "arn:aws:sns:eu-west-1:123456789012:imgpipe-job-events"
  event_rule_name            = "imgpipe-upload-created"
  visibility_timeout_seconds = 120
  max_receive_count          = 5
}
