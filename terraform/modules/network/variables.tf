variable "name" {
  type        = string
  description = "Prefix of the Name tag of every resource (VPC, subnets, route tables, gateways, endpoints)."
  default     = "imgpipe"

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 200
    error_message = "name must be 1-200 characters (it prefixes Name tags, at most 256)."
  }
}

variable "vpc_id" {
  type        = string
  description = "Existing VPC to deploy into, with public_subnet_ids and private_subnet_ids: the module then creates nothing and outputs them. null: the module creates a VPC (vpc_cidr, availability_zones)."
  default     = null
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets of the internet-facing load balancer, in at least two AZs. Only with vpc_id."
  default     = []
  nullable    = false
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks; they need a route to AWS APIs (NAT or VPC endpoints). Only with vpc_id."
  default     = []
  nullable    = false

  validation {
    condition     = var.vpc_id == null || (length(var.private_subnet_ids) >= 1 && length(var.public_subnet_ids) >= 2)
    error_message = "With vpc_id, give at least two public_subnet_ids (the load balancer needs two AZs) and at least one private_subnet_id."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC the module creates when vpc_id is null; split into /20 public and private subnets (8 of each at most)."
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 16
    error_message = "vpc_cidr must be a valid CIDR block of /16 or larger."
  }
}

variable "availability_zones" {
  type        = list(string)
  description = "Zones of the created VPC (one public and one private subnet each), e.g. [\"eu-west-1a\", \"eu-west-1b\"]. Named, not looked up, so subnets never move when the region's zone list changes. Only without vpc_id."
  default     = []
  nullable    = false

  validation {
    condition     = var.vpc_id != null || (length(var.availability_zones) >= 2 && length(var.availability_zones) <= 8)
    error_message = "Without vpc_id, give 2 to 8 availability_zones (the load balancer needs two)."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for all private subnets (cheaper) instead of one per AZ (survives an AZ outage)."
  default     = true
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
