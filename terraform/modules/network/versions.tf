terraform {
  # 1.9+: variable validations may refer to other variables (see private_subnet_ids, availability_zones).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}
