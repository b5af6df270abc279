# The data plane on a local AWS emulator: the same module production uses, minus what emulators cannot do
# (TLS-only bucket policies over plain HTTP, deletion protection on throw-away tables).

provider "aws" {
  region = var.region

  # Emulators accept any credentials; these are not secrets.
  access_key = "test"
  secret_key = "test"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  # An unsupported call answers 500 on moto; the provider's default retries would hang the apply for minutes.
  max_retries = 2

  endpoints {
    s3         = var.endpoint_url
    sqs        = var.endpoint_url
    sns        = var.endpoint_url
    dynamodb   = var.endpoint_url
    events     = var.endpoint_url
    sts        = var.endpoint_url
    iam        = var.endpoint_url
    kms        = var.endpoint_url
    cloudwatch = var.endpoint_url
  }
}

module "data_plane" {
  source = "../../modules/data-plane"

  name                       = var.name
  enforce_tls                = false # moto applies the aws:SecureTransport deny to its plain-HTTP endpoint
  restrict_dlq_sources       = false # moto never finishes creating a redrive allow policy
  force_destroy              = true
  deletion_protection        = false
  cors_allowed_origins       = ["*"]
  visibility_timeout_seconds = var.visibility_timeout_seconds
  max_receive_count          = var.max_receive_count
}

# The alarms, alarm topic and dashboard production has, minus those of the load balancer and ECS (none here):
# applied so that the emulator proves the module creates what it plans. Nothing evaluates alarms on moto.
module "monitoring" {
  source = "../../modules/monitoring"
  # No Slack here: the Chatbot provider is never used.
  providers = {
    aws         = aws
    aws.chatbot = aws
  }

  name            = var.name
  queue_name      = module.data_plane.queue_name
  dlq_name        = module.data_plane.dlq_name
  event_rule_name = module.data_plane.event_rule_name
  events_dlq_name = module.data_plane.events_dlq_name
  # Webhooks (modules/data-plane/callbacks.tf).
  callbacks_dlq_name = module.data_plane.callbacks_dlq_name
}
