terraform {
  required_version = ">= 1.11" # S3-native state locking (use_lockfile) is GA from 1.11

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }

  # Partial configuration: bucket, key and region are given at init, so this file names no account, e.g.
  #   terraform init -backend-config=prod.s3.tfbackend      (see prod.s3.tfbackend.example)
  # Locking uses a lock object next to the state (use_lockfile); no DynamoDB table.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
