# A Packer build that refuses to hand over a golden image imgaudit finds an error in.
#
#   packer build -var image=output/golden.qcow2 -var base_image=base.qcow2 examples/packer
#
# The post-processor scans the artefact the build wrote (offline: nothing is booted or
# mounted), prints the report into Packer's log, writes SARIF and Markdown next to the
# artefact (IMAGE.sarif, IMAGE.md) and fails the build when a finding reaches `fail_on`.
# The `file` source below only stands in for your real builder: replace it with the source
# that makes your image (qemu, ...) and point `image` at the file that source writes.

variable "image" {
  type        = string
  description = "The artefact to scan: the disk image (or rootfs tarball) the build writes."
  default     = "output/golden.qcow2"
}

variable "base_image" {
  type        = string
  description = "What the stand-in `file` source copies to `image`."
  default     = "base.qcow2"
}

variable "profiles" {
  type        = list(string)
  description = "imgaudit rule profiles (imgaudit rules list shows them)."
  default     = ["k0s", "golden-image"]
}

variable "role" {
  type    = string
  default = "controller+worker"
}

variable "fail_on" {
  type        = string
  description = "Fail the build on findings at or above this level: error, warning, note, none."
  default     = "error"
}

variable "imgaudit" {
  type        = string
  description = "The imgaudit command (pip install imgaudit, or a path)."
  default     = "imgaudit"
}

source "file" "golden" {
  source = var.base_image
  target = var.image
}

build {
  sources = ["source.file.golden"]

  post-processor "shell-local" {
    environment_vars = [
      "IMAGE=${var.image}",
      "IMGAUDIT=${var.imgaudit}",
      "PROFILES=${join(" ", var.profiles)}",
      "ROLE=${var.role}",
      "FAIL_ON=${var.fail_on}",
    ]
    inline = [
      "set --; for profile in $PROFILES; do set -- \"$@\" --profile \"$profile\"; done",
      "\"$IMGAUDIT\" scan \"$IMAGE\" \"$@\" --role \"$ROLE\" --fail-on \"$FAIL_ON\" --quiet --report \"sarif=$IMAGE.sarif\" --report \"markdown=$IMAGE.md\"",
    ]
  }
}
