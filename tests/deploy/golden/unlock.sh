for file in "$STATE/steps"/*; do
  [[ -e $file ]] || continue
  recorded=$(cat "$file" 2>/dev/null || true)
  [[ $(proc_stat "${file##*.}" || true) == "$recorded" ]] || rm -f "$file"
done
if [[ $(cat "$STATE/lock/id" 2>/dev/null) == lockid1 ]]; then
  rm -rf "$STATE/lock"; say unlocked
fi
