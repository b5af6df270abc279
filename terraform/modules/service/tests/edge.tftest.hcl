# The load balancer's edge: WAF web ACL and access logs (offline, mock_provider; inputs: terraform.tfvars).

mock_provider "aws" {
  source = "../../tests/mocks"
}

run "edge_protection_is_off_unless_asked" {
  command = plan

  assert {
    condition     = length(aws_wafv2_web_acl.api) == 0 && length(aws_wafv2_web_acl_association.api) == 0 && length(aws_wafv2_web_acl_association.given) == 0 && length(aws_s3_bucket.alb_logs) == 0 && length(aws_lb.api.access_logs) == 0
    error_message = "Without waf_enabled / alb_access_logs_enabled the module creates no web ACL and no log bucket."
  }
}

run "waf_limits_each_ip_and_applies_managed_rules" {
  command = apply

  variables {
    waf_enabled    = true
    waf_rate_limit = 500
  }

  assert {
    condition = [
      for r in aws_wafv2_web_acl.api[0].rule : [r.statement[0].rate_based_statement[0].limit, r.statement[0].rate_based_statement[0].evaluation_window_sec, r.statement[0].rate_based_statement[0].aggregate_key_type, length(r.action[0].block)]
      if r.name == "rate-limit-per-ip"
    ] == [[500, 300, "IP", 1]]
    error_message = "A rate-based rule must block an IP above waf_rate_limit requests per 5 minutes."
  }

  assert {
    condition = toset([
      for r in aws_wafv2_web_acl.api[0].rule : r.statement[0].managed_rule_group_statement[0].name
      if try(r.statement[0].managed_rule_group_statement[0].vendor_name == "AWS" && length(r.override_action[0].none) == 1, false)
    ]) == toset(["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    error_message = "The web ACL must apply AWS's common rule set and known bad inputs, with their own (blocking) actions."
  }

  assert {
    condition     = aws_wafv2_web_acl.api[0].scope == "REGIONAL" && length(aws_wafv2_web_acl.api[0].default_action[0].allow) == 1
    error_message = "A regional web ACL (load balancers) that lets through what no rule blocks."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.api[0].resource_arn == aws_lb.api.arn && aws_wafv2_web_acl_association.api[0].web_acl_arn == aws_wafv2_web_acl.api[0].arn
    error_message = "The web ACL must be associated with the API's load balancer."
  }

  assert {
    condition     = aws_cloudwatch_log_group.waf[0].name == "aws-waf-logs-imgpipe" && aws_cloudwatch_log_group.waf[0].retention_in_days == 365 && one(aws_wafv2_web_acl_logging_configuration.api[0].redacted_fields).single_header[0].name == "x-api-key"
    error_message = "WAF logs go to aws-waf-logs-<name>, kept log_retention_days, with the X-API-Key header redacted."
  }
}

run "own_web_acl_is_associated" {
  command = plan

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/11111111-1111-1111-1111-111111111111"
  }

  assert {
    condition     = length(aws_wafv2_web_acl.api) == 0 && length(aws_wafv2_web_acl_association.api) == 0 && aws_wafv2_web_acl_association.given[0].web_acl_arn == "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/11111111-1111-1111-1111-111111111111"
    error_message = "A given web ACL is associated, none created."
  }
}

run "access_logs_go_to_an_expiring_private_bucket" {
  command = apply

  variables {
    alb_access_logs_enabled         = true
    alb_access_logs_expiration_days = 30
    log_retention_days              = 90
  }

  assert {
    condition     = one(aws_lb.api.access_logs).enabled && one(aws_lb.api.access_logs).bucket == aws_s3_bucket.alb_logs[0].bucket && aws_s3_bucket.alb_logs[0].bucket == "imgpipe-alb-logs-123456789012"
    error_message = "The load balancer must write access logs to the bucket <name>-alb-logs-<account>."
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.alb_logs[0].rule).status == "Enabled" && one(one(aws_s3_bucket_lifecycle_configuration.alb_logs[0].rule).expiration).days == 30
    error_message = "Access logs must expire after alb_access_logs_expiration_days."
  }

  assert {
    condition = [for s in jsondecode(aws_s3_bucket_policy.alb_logs[0].policy).Statement : s.Principal if s.Effect == "Allow"] == [
      { AWS = "arn:aws:iam::156460612806:root" }, { Service = "logdelivery.elasticloadbalancing.amazonaws.com" },
    ] && alltrue([for s in jsondecode(aws_s3_bucket_policy.alb_logs[0].policy).Statement : s.Action == "s3:PutObject" && endswith(s.Resource, "/imgpipe/AWSLogs/123456789012/*") if s.Effect == "Allow"])
    error_message = "Only ELB log delivery may write, and only under the load balancer's log prefix."
  }

  assert {
    condition     = one([for s in jsondecode(aws_s3_bucket_policy.alb_logs[0].policy).Statement : s.Condition if s.Effect == "Deny"]) == { Bool = { "aws:SecureTransport" = "false" } }
    error_message = "The log bucket refuses requests without TLS."
  }

  assert {
    condition     = alltrue([for b in aws_s3_bucket_public_access_block.alb_logs : b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "The log bucket blocks all public access."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 90])
    error_message = "log_retention_days sets the containers' log retention."
  }
}

run "one_source_of_access_logs" {
  command = plan

  variables {
    alb_access_logs_enabled = true
    alb_access_logs_bucket  = "someone-elses-bucket"
  }

  expect_failures = [var.alb_access_logs_bucket]
}
