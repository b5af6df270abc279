# --- web application firewall on the load balancer (waf_enabled) ---------------------------------------------
#
# AWS managed rules for common web exploits and known bad inputs (Log4j among them), and a per-IP rate limit that
# keeps one client from flooding the API (and the DynamoDB and S3 calls behind every request). Blocked requests
# never reach a task. (Rules written out, not generated: checkov must see the Log4j rule group.)

locals {
  create_waf  = var.waf_enabled
  web_acl_arn = local.create_waf ? aws_wafv2_web_acl.api[0].arn : var.waf_web_acl_arn

  managed_rule_groups = {
    AWSManagedRulesCommonRuleSet         = 20
    AWSManagedRulesKnownBadInputsRuleSet = 30
  }
}

resource "aws_wafv2_web_acl" "api" {
  count = local.create_waf ? 1 : 0

  name        = "${var.name}-api"
  description = "imgpipe API: per-IP rate limit and AWS managed rules."
  scope       = "REGIONAL"
  tags        = var.tags

  default_action {
    allow {}
  }

  # First, so a flood is cut before anything else is evaluated.
  rule {
    name     = "rate-limit-per-ip"
    priority = 10

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        evaluation_window_sec = 300
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit-per-ip"
      sampled_requests_enabled   = true
    }
  }

  # OWASP-style common exploits (XSS, bad paths, oversized bodies: the API's JSON bodies are small).
  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 20

    override_action {
      none {} # the group's own actions (block)
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # Known bad inputs, Log4j (CVE-2021-44228) lookups among them.
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30

    override_action {
      none {} # the group's own actions (block)
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-api"
    sampled_requests_enabled   = true
  }
}

resource "aws_wafv2_web_acl_association" "api" {
  count = local.create_waf ? 1 : 0

  resource_arn = aws_lb.api.arn
  web_acl_arn  = aws_wafv2_web_acl.api[0].arn
}

# Or a web ACL managed elsewhere (waf_web_acl_arn).
resource "aws_wafv2_web_acl_association" "given" {
  count = var.waf_web_acl_arn == null ? 0 : 1

  resource_arn = aws_lb.api.arn
  web_acl_arn  = var.waf_web_acl_arn
}

# WAF's log of matched requests. WAF requires the aws-waf-logs- prefix.
resource "aws_cloudwatch_log_group" "waf" {
  #checkov:skip=CKV_AWS_158:Request logs with the X-API-Key header redacted hold no secrets; CloudWatch's default encryption suffices.
  count = local.create_waf ? 1 : 0

  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "api" {
  count = local.create_waf ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.api[0].arn
  log_destination_configs = [aws_cloudwatch_log_group.waf[0].arn]

  # Clients authenticate with this header: it must never be written to a log.
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
}
