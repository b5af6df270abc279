# Mock data shared by the offline `terraform test` suites (modules/*/tests, envs/prod/tests): every AWS call is
# answered by mock_provider, and ARNs and URLs that other resources embed get a real shape instead of a random
# string. A suite adds what only it needs inline.
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/imgpipe-mock"
  }
}
mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/imgpipe/mock"
    repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/imgpipe/mock"
  }
}
mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/imgpipe/mock"
  }
}
mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }
}
mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/imgpipe-api/0123456789abcdef"
    dns_name   = "imgpipe-api-123.eu-west-1.elb.amazonaws.com"
    arn_suffix = "app/imgpipe-api/0123456789abcdef"
  }
}
mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/imgpipe-api/0123456789abcdef"
    arn_suffix = "targetgroup/imgpipe-api/0123456789abcdef"
  }
}
mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/imgpipe"
  }
}
mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/imgpipe-mock:1"
  }
}
mock_resource "aws_appautoscaling_policy" {
  defaults = {
    arn = "arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:00000000-0000-0000-0000-000000000000:resource/ecs/service/imgpipe/imgpipe-worker:policyName/mock"
  }
}
mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}
mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
  }
}
mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}
mock_data "aws_elb_service_account" {
  defaults = {
    arn = "arn:aws:iam::156460612806:root"
  }
}
mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/imgpipe-api/00000000-0000-0000-0000-000000000000"
  }
}
