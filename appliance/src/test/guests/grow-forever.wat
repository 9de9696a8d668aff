;; grow-forever.wat - test guest that grows its memory 64 MiB at a time until memory.grow fails: on a small
;; heap the JVM runs out first, and the appliance must say so in one line (LauncherIT).
;; Build: scripts/build-guests.sh (wat2wasm)
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $again
      (br_if $again (i32.ne (memory.grow (i32.const 1024)) (i32.const -1))))))
