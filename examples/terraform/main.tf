# A whole iplease stack: inventory, a lease, allocations placed by the server, and lookups.
# Run with an admin or finance key (leases own money); allocations alone need only an engineer key.
#
#   export IPLEASE_ENDPOINT=http://127.0.0.1:3000
#   export IPLEASE_API_KEY=...            # never commit it
#   terraform init && terraform apply

terraform {
  required_version = ">= 1.5"
  required_providers {
    iplease = {
      source  = "iplease/iplease"
      version = "0.1.0"
    }
  }
}

provider "iplease" {
  # endpoint and api_key come from IPLEASE_ENDPOINT / IPLEASE_API_KEY when not set here.
}

resource "iplease_lessor" "acme" {
  name       = "Acme Holdings"
  rir        = "RIPE"
  org_handle = "ACME-RIPE"
}

resource "iplease_provider" "aws" {
  code                 = "aws"
  name                 = "Amazon Web Services (BYOIP)"
  max_prefix_length    = 24
  required_origin_asns = [16509, 14618]
}

resource "iplease_provider" "hetzner" {
  code = "hetzner"
  name = "Hetzner"
}

resource "iplease_region" "dublin" {
  code         = "eu-west-1"
  name         = "Dublin"
  country_code = "IE"
  city         = "Dublin"
}

resource "iplease_lease" "main" {
  prefix               = "185.10.20.0/22"
  lessor_id            = iplease_lessor.acme.id
  start_date           = "2026-01-01"
  end_date             = "2027-12-31"
  auto_renew           = true
  price_per_ip_monthly = "0.45" # the same as "0.4500": no diff
  currency             = "USD"
  tags                 = ["prod", "eu"] # a set: order never shows as a change
}

# BYOIP block for AWS: one /24, placed by the server (best fit).
resource "iplease_allocation" "aws_byoip" {
  lease_id      = iplease_lease.main.id
  prefix_length = 24
  region_id     = iplease_region.dublin.id
  provider_id   = iplease_provider.aws.id
  name          = "eu-west-1-byoip"
  origin_asn    = 16509
  description   = "AWS BYOIP, eu-west-1"
}

# Eight /28s for servers; safe under any -parallelism: the server places each block in one POST.
resource "iplease_allocation" "servers" {
  for_each      = toset([for i in range(8) : tostring(i)])
  lease_id      = iplease_lease.main.id
  prefix_length = 28
  region_id     = iplease_region.dublin.id
  provider_id   = iplease_provider.hetzner.id
  description   = "server block ${each.key}"
  tags          = ["servers"]
}

data "iplease_free_blocks" "room_for_24s" {
  lease_id      = iplease_lease.main.id
  prefix_length = 24
  depends_on    = [iplease_allocation.aws_byoip, iplease_allocation.servers]
}

data "iplease_lookup" "first_server" {
  ip = cidrhost(iplease_allocation.servers["0"].prefix, 1)
}

output "aws_byoip_prefix" {
  value = iplease_allocation.aws_byoip.prefix
}

output "server_prefixes" {
  value = sort([for a in iplease_allocation.servers : a.prefix])
}

output "free_24s" {
  value = data.iplease_free_blocks.room_for_24s.prefixes
}

output "first_server_region" {
  value = data.iplease_lookup.first_server.region_id
}
