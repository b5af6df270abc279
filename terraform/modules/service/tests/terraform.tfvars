# Inputs shared by every *.tftest.hcl here (terraform test reads this file for all of them).
name      = "imgpipe"
image_tag = "0123abc"
# The network module's outputs.
vpc_id             = "vpc-0123456789abcdef0"
public_subnet_ids  = ["subnet-0a0000000000000a1", "subnet-0b0000000000000b1"]
private_subnet_ids = ["subnet-0a0000000000000a2", "subnet-0b0000000000000b2"]
certificate_arn    = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
data_plane = {
  uploads_bucket_arn         = "arn:aws:s3:::imgpipe-uploads-123456789012"
  uploads_prefix             = "uploads/"
  outputs_bucket_arn         = "arn:aws:s3:::imgpipe-outputs-123456789012"
  outputs_prefix             = "processed/"
  jobs_table_arn             = "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-jobs"
  api_keys_table_arn         = "arn:aws:dynamodb:eu-west-1:123456789012:table/imgpipe-api-keys"
  api_keys_kms_arn           = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  queue_name                 = "imgpipe-uploads"
  queue_arn                  = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-uploads"
  topic_arn                  = "arn:aws:sns:eu-west-1:123456789012:imgpipe-job-events"
  callbacks_queue_name       = "imgpipe-callbacks"
  callbacks_queue_arn        = "arn:aws:sqs:eu-west-1:123456789012:imgpipe-callbacks"
  visibility_timeout_seconds = 120
  # What the data-plane module outputs as service_env with these names.
  service_env = {
    IMGPIPE_AWS_REGION                 = "eu-west-1"
    IMGPIPE_UPLOADS_BUCKET             = "imgpipe-uploads-123456789012"
    IMGPIPE_OUTPUTS_BUCKET             = "imgpipe-outputs-123456789012"
    IMGPIPE_JOBS_TABLE                 = "imgpipe-jobs"
    IMGPIPE_API_KEYS_TABLE             = "imgpipe-api-keys"
    IMGPIPE_QUEUE_NAME                 = "imgpipe-uploads"
    IMGPIPE_DLQ_NAME                   = "imgpipe-uploads-dlq"
    IMGPIPE_TOPIC_NAME                 = "imgpipe-job-events"
    IMGPIPE_EVENT_RULE_NAME            = "imgpipe-upload-created"
    IMGPIPE_VISIBILITY_TIMEOUT_SECONDS = "120"
    IMGPIPE_MAX_RECEIVE_COUNT          = "5"
    IMGPIPE_CALLBACKS_QUEUE_NAME       = "imgpipe-callbacks"
    IMGPIPE_CALLBACKS_DLQ_NAME         = "imgpipe-callbacks-dlq"
  }
}
