# Production: the data plane, the network and the Fargate services in one account and region. Thin on purpose: decisions
# live in the modules, this file only wires them and names things.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "imgpipe"
      Environment = "prod"
      ManagedBy   = "terraform"
    }
  }
}

# AWS Chatbot's API is in four regions only (us-east-2, us-west-2, eu-west-1, ap-southeast-1); its Slack channel
# configuration is global and may subscribe to the alarm topic in any region.
provider "aws" {
  alias  = "chatbot"
  region = var.chatbot_region

  default_tags {
    tags = {
      Project     = "imgpipe"
      Environment = "prod"
      ManagedBy   = "terraform"
    }
  }
}

data "aws_caller_identity" "current" {}

# Without vpc_id and availability_zones: the region's first two zones. All of the account's zones whatever their
# current state, so the choice does not move when a zone is impaired.
data "aws_availability_zones" "region" {
  count = var.vpc_id == null && length(var.availability_zones) == 0 ? 1 : 0
}

locals {
  # Unset GitHub variables reach Terraform as "" (deploy.yml passes SLACK_TEAM_ID/SLACK_CHANNEL_ID either way).
  slack_enabled      = !(var.slack_team_id == null || var.slack_team_id == "")
  availability_zones = length(var.availability_zones) > 0 ? var.availability_zones : try(slice(data.aws_availability_zones.region[0].names, 0, 2), [])
}

module "data_plane" {
  source = "../../modules/data-plane"

  name = var.name
  # Bucket names are global: the account id keeps them unique and predictable.
  uploads_bucket_name        = "${var.name}-uploads-${data.aws_caller_identity.current.account_id}"
  outputs_bucket_name        = "${var.name}-outputs-${data.aws_caller_identity.current.account_id}"
  cors_allowed_origins       = var.cors_allowed_origins
  visibility_timeout_seconds = var.visibility_timeout_seconds
  max_receive_count          = var.max_receive_count
}

# A VPC of its own, or the one given (vpc_id and its subnets), passed through.
module "network" {
  source = "../../modules/network"

  name               = var.name
  vpc_id             = var.vpc_id
  availability_zones = local.availability_zones
  public_subnet_ids  = var.public_subnet_ids
  private_subnet_ids = var.private_subnet_ids
}

module "service" {
  source = "../../modules/service"

  name                       = var.name
  data_plane                 = module.data_plane.resources
  image_tag                  = var.image_tag
  certificate_arn            = var.certificate_arn
  vpc_id                     = module.network.vpc_id
  public_subnet_ids          = module.network.public_subnet_ids
  private_subnet_ids         = module.network.private_subnet_ids
  drain_seconds              = var.drain_seconds
  worker_concurrency         = var.worker_concurrency
  worker_min_capacity        = var.worker_min_capacity
  worker_max_capacity        = var.worker_max_capacity
  acceptable_latency_seconds = var.acceptable_latency_seconds
  avg_processing_seconds     = var.avg_processing_seconds

  # Production operations: edge protection, logs, capacity (docs/terraform.md).
  waf_enabled                     = var.waf_enabled
  waf_rate_limit                  = var.waf_rate_limit
  alb_access_logs_enabled         = var.alb_access_logs_enabled
  alb_access_logs_expiration_days = var.alb_access_logs_expiration_days
  log_retention_days              = var.log_retention_days
  cpu_architecture                = var.cpu_architecture
  worker_fargate_spot             = var.worker_fargate_spot
  worker_on_demand_base           = var.worker_on_demand_base
}

module "monitoring" {
  source = "../../modules/monitoring"
  providers = {
    aws         = aws
    aws.chatbot = aws.chatbot
  }

  name            = var.name
  queue_name      = module.data_plane.queue_name
  dlq_name        = module.data_plane.dlq_name
  event_rule_name = module.data_plane.event_rule_name
  events_dlq_name = module.data_plane.events_dlq_name
  # Webhooks (modules/data-plane/callbacks.tf).
  callbacks_dlq_name = module.data_plane.callbacks_dlq_name
  alb = {
    arn_suffix              = module.service.alb_arn_suffix
    target_group_arn_suffix = module.service.target_group_arn_suffix
  }
  ecs = {
    cluster_name        = module.service.cluster_name
    api_service_name    = module.service.api_service_name
    worker_service_name = module.service.worker_service_name
  }
  log_group_names = module.service.log_group_names
  slack           = local.slack_enabled ? { team_id = var.slack_team_id, channel_id = var.slack_channel_id } : null
  runbook_url     = var.runbook_url
}
