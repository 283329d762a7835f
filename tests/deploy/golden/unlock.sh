if [[ $(cat "$STATE/lock/id" 2>/dev/null) == lockid1 ]]; then
  rm -rf "$STATE/lock"; say unlocked
fi
