# Offline unit tests: `terraform test` in modules/network, every AWS call answered by mock_provider. They pin what
# this module decides: which subnets, routes and gateways a created VPC gets, and that a given VPC is passed through.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name               = "imgpipe"
  availability_zones = ["eu-west-1a", "eu-west-1b"]
}

run "created_vpc_has_public_and_private_subnets_per_zone" {
  command = apply

  assert {
    condition     = aws_subnet.public[*].availability_zone == ["eu-west-1a", "eu-west-1b"] && aws_subnet.private[*].availability_zone == ["eu-west-1a", "eu-west-1b"]
    error_message = "A created VPC has one public and one private subnet in each named zone, in order."
  }

  assert {
    # /20s of 10.40.0.0/16: public from the bottom, private from the middle, so zones can be added to either.
    condition     = aws_subnet.public[*].cidr_block == ["10.40.0.0/20", "10.40.16.0/20"] && aws_subnet.private[*].cidr_block == ["10.40.128.0/20", "10.40.144.0/20"]
    error_message = "Subnets are the /20s of vpc_cidr: public ones from the first, private ones from the ninth."
  }

  assert {
    condition     = output.vpc_id == aws_vpc.this[0].id && output.public_subnet_ids == tolist(aws_subnet.public[*].id) && output.private_subnet_ids == tolist(aws_subnet.private[*].id)
    error_message = "The outputs name the created VPC and subnets."
  }

  assert {
    condition     = aws_vpc.this[0].enable_dns_support && aws_vpc.this[0].enable_dns_hostnames && aws_default_security_group.this[0].vpc_id == aws_vpc.this[0].id
    error_message = "The VPC resolves DNS (VPC endpoints need it), and its default security group is taken over (no rules)."
  }
}

run "private_subnets_reach_out_through_one_nat_gateway_by_default" {
  command = apply

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && aws_nat_gateway.this[0].subnet_id == aws_subnet.public[0].id && aws_nat_gateway.this[0].allocation_id == aws_eip.nat[0].id
    error_message = "One NAT gateway by default, in the first public subnet, with its Elastic IP."
  }

  assert {
    condition     = alltrue([for r in aws_route.private_nat : r.destination_cidr_block == "0.0.0.0/0" && r.nat_gateway_id == aws_nat_gateway.this[0].id])
    error_message = "Every private route table sends 0.0.0.0/0 to the NAT gateway."
  }

  assert {
    condition     = aws_route.public_internet[0].gateway_id == aws_internet_gateway.this[0].id && toset(aws_route_table_association.public[*].subnet_id) == toset(aws_subnet.public[*].id)
    error_message = "The public subnets route 0.0.0.0/0 to the internet gateway."
  }

  assert {
    condition     = [for a in aws_route_table_association.private : a.route_table_id] == aws_route_table.private[*].id && [for a in aws_route_table_association.private : a.subnet_id] == aws_subnet.private[*].id
    error_message = "Each private subnet has its own route table."
  }
}

run "one_nat_gateway_per_zone_when_asked" {
  command = apply

  variables {
    single_nat_gateway = false
  }

  assert {
    condition     = aws_nat_gateway.this[*].subnet_id == aws_subnet.public[*].id && [for r in aws_route.private_nat : r.nat_gateway_id] == aws_nat_gateway.this[*].id
    error_message = "With single_nat_gateway = false each zone has its NAT gateway, and its private subnet uses it."
  }
}

run "s3_and_dynamodb_bypass_the_nat_gateway" {
  command = apply

  assert {
    condition     = toset([for e in aws_vpc_endpoint.gateway : e.service_name]) == toset(["com.amazonaws.eu-west-1.s3", "com.amazonaws.eu-west-1.dynamodb"])
    error_message = "Gateway endpoints for S3 and DynamoDB (free; image bytes and job records skip the NAT's per-GB charge)."
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.gateway : e.vpc_endpoint_type == "Gateway" && e.route_table_ids == toset(aws_route_table.private[*].id)])
    error_message = "The endpoints are on every private route table."
  }
}

run "given_vpc_is_passed_through" {
  command = apply

  variables {
    vpc_id             = "vpc-0123456789abcdef0"
    availability_zones = []
    public_subnet_ids  = ["subnet-a1", "subnet-b1"]
    private_subnet_ids = ["subnet-a2"]
  }

  assert {
    condition     = length(aws_vpc.this) == 0 && length(aws_subnet.public) == 0 && length(aws_subnet.private) == 0 && length(aws_nat_gateway.this) == 0 && length(aws_vpc_endpoint.gateway) == 0
    error_message = "With vpc_id the module creates nothing."
  }

  assert {
    condition     = output.vpc_id == "vpc-0123456789abcdef0" && output.public_subnet_ids == tolist(["subnet-a1", "subnet-b1"]) && output.private_subnet_ids == tolist(["subnet-a2"])
    error_message = "With vpc_id the outputs are the given VPC and subnets."
  }
}

run "given_vpc_needs_two_public_subnets" {
  command = plan

  variables {
    vpc_id             = "vpc-0123456789abcdef0"
    public_subnet_ids  = ["subnet-a1"]
    private_subnet_ids = ["subnet-a2"]
  }

  expect_failures = [var.private_subnet_ids]
}

run "created_vpc_needs_two_zones" {
  command = plan

  variables {
    availability_zones = ["eu-west-1a"]
  }

  expect_failures = [var.availability_zones]
}
