#!/usr/bin/env bash
target=$1
cd /srv/app
echo $target
