# Where alarms go: one SNS topic, encrypted with a key CloudWatch may use, and (optionally) AWS Chatbot posting
# it to Slack. The alarms are in alarms.tf, the dashboard in dashboard.tf.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  # Every alarm of this stack, and nothing else in the account, may publish to the topic.
  alarm_arn_pattern = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"
}

# A customer-managed key, not alias/aws/sns: CloudWatch must encrypt what it publishes, and the AWS-managed key's
# policy cannot be changed to let it.
resource "aws_kms_key" "alarms" {
  description         = "${var.name} alarm topic"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # As the default key policy: the account's IAM policies decide who administers and uses the key.
        Sid       = "AccountManagesTheKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*" # in a key policy, "*" is this key
      },
      {
        Sid       = "CloudWatchAlarmsEncryptNotifications"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })
  tags = var.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
  tags              = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # What the default topic policy gives the account, minus changing or deleting the topic.
        Sid       = "AccountUsesTheTopic"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Subscribe", "sns:Publish"]
        Resource  = aws_sns_topic.alarms.arn
      },
      {
        Sid       = "StackAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = {
          ArnLike      = { "aws:SourceArn" = local.alarm_arn_pattern }
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

# Slack through AWS Chatbot (see docs/operations.md for why not a webhook subscriber): it renders CloudWatch
# alarms itself, with the graph, and needs no code, no webhook secret and no function to keep patched.
resource "aws_iam_role" "chatbot" {
  count = var.slack == null ? 0 : 1

  name = "${var.name}-chatbot"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "chatbot.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

# Read-only CloudWatch, so the channel can show the alarm's graph; nothing in Slack can change the stack.
resource "aws_iam_role_policy_attachment" "chatbot" {
  count = var.slack == null ? 0 : 1

  role       = aws_iam_role.chatbot[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"
}

resource "aws_chatbot_slack_channel_configuration" "alarms" {
  count    = var.slack == null ? 0 : 1
  provider = aws.chatbot

  configuration_name    = "${var.name}-alarms"
  iam_role_arn          = aws_iam_role.chatbot[0].arn
  slack_team_id         = var.slack.team_id
  slack_channel_id      = var.slack.channel_id
  sns_topic_arns        = [aws_sns_topic.alarms.arn]
  guardrail_policy_arns = ["arn:${local.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"]
  logging_level         = "ERROR"
  tags                  = var.tags
}
