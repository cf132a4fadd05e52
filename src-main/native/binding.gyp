{
  "targets": [
    {
      "target_name": "hnet_dataplane",
      # errors.cc (errno names for thrown errors) is the helper addon's, compiled into this one
      # too rather than linked from a shared library: each addon must load on its own, and both
      # report errors with the same `code` names. It reads no packet, so the helper owns it.
      "sources": [
        "src/addon.cc",
        "../../src-helper/native/src/errors.cc",
        "src/tun-reader.cc",
        "src/fd-source.cc",
        "src/tun-offload.cc",
        "src/inet-checksum.cc",
        "src/wintun-source.cc",
        "src/udp-socket.cc",
        "src/udp-batch.cc",
        "src/socket-address.cc",
        "src/sodium-runtime.cc",
        "src/secret-box.cc",
        "src/lane-cipher.cc",
        "src/tunnel-codec.cc",
        "src/echo-timer.cc",
        "src/lane-router.cc",
        "src/datagram-queue.cc",
        "src/tcp-coalescer.cc",
        "src/data-lane.cc",
        "src/tcp-liveness.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../../src-helper/native/src"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "conditions": [
        ["OS=='linux'", { "libraries": ["-ldl"] }]
      ],
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1 }
      }
    }
  ]
}
