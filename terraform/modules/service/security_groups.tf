# Security groups of the load balancer and the two services, in the VPC the network module gives (var.vpc_id).

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "imgpipe API load balancer: HTTPS (and the HTTP redirect) from clients, HTTP to API tasks."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = { for pair in setproduct([80, 443], var.alb_ingress_cidrs) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.alb.id
  description       = each.value[0] == 80 ? "HTTP, redirected to HTTPS" : "HTTPS from clients"
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
  cidr_ipv4         = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To API tasks"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.api.id
}

# One group per service, written out rather than for_each: each service's rules read plainly, and static
# analysis (checkov) can follow the reference from the service to its group.
resource "aws_security_group" "api" {
  name        = "${var.name}-api"
  description = "imgpipe API tasks: HTTP in from the load balancer, HTTPS out to AWS APIs."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "imgpipe worker tasks: nothing in, HTTPS out to AWS APIs."
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = local.api_port
  to_port                      = local.api_port
  referenced_security_group_id = aws_security_group.alb.id
}

# Tasks only talk to AWS APIs (ECR, S3, DynamoDB, SQS, SNS, Rekognition, Secrets Manager, CloudWatch Logs) over
# HTTPS; through the NAT gateway their addresses are not fixed, hence 0.0.0.0/0 on 443 only.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  for_each = { api = aws_security_group.api, worker = aws_security_group.worker }

  security_group_id = each.value.id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}
