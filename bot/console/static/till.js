// The till: find a member (typed phone / member code, or a scanned member QR), record a paid
// order, redeem a voucher with one confirmation. Every action is a call to the admin API
// with the console session (cookie + X-CSRF-Token), exactly what a POS would send.
"use strict";
(function () {
  var api = window.consoleApi;
  var $ = function (id) { return document.getElementById(id); };
  var current = null;      // the member shown
  var pendingOrderId = ""; // kept until the order is recorded: a second tap is a duplicate
  var pendingVoucher = "";
  var scanning = null;

  function say(id, text, ok) {
    var el = $(id);
    el.textContent = text;
    el.className = (id === "till-message" ? "message " : "result ") + (ok ? "ok" : "error");
  }
  function clear(id) { $(id).textContent = ""; }
  function vnd(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + " ₫"; }
  function problemText(resp, fallback) {
    var code = resp.data && resp.data.code;
    var known = {
      member_not_found: "Không tìm thấy thành viên này.",
      not_found: "Không tìm thấy thành viên này.",
      qr_token_expired: "Mã QR đã hết hạn. Nhờ khách mở lại thẻ thành viên để hiện mã mới.",
      qr_token_invalid: "Mã QR không hợp lệ: đây không phải thẻ thành viên của cửa hàng.",
      invalid_phone: "Số điện thoại không hợp lệ.",
      voucher_already_redeemed: "Voucher này đã được dùng rồi.",
      voucher_expired: "Voucher này đã hết hạn.",
      voucher_not_found: "Không có voucher này.",
      invalid_voucher_code: "Mã voucher bị gõ sai.",
      invalid_amount: "Số tiền không hợp lệ.",
      validation_error: "Thông tin chưa đúng: kiểm tra số tiền và mã đơn.",
      forbidden_role: "Tài khoản của bạn không được làm việc này.",
      csrf_failed: "Phiên làm việc đã cũ: hãy tải lại trang.",
      invalid_api_key: "Phiên đăng nhập đã hết: hãy đăng nhập lại.",
      rate_limited: "Thao tác quá nhanh: thử lại sau ít giây."
    };
    return known[code] || fallback;
  }

  function show(member) {
    current = member;
    $("member").hidden = false;
    $("m-name").textContent = member.name || "(chưa có tên)";
    $("m-code").textContent = member.member_code;
    $("m-phone").textContent = member.phone || "chưa có số điện thoại";
    $("m-tier").textContent = member.tier.name;
    $("m-points").textContent = String(member.points);
    var list = $("vouchers");
    list.textContent = "";
    var available = member.vouchers.filter(function (v) { return v.status === "available"; });
    if (!available.length) {
      var none = document.createElement("li");
      none.textContent = "Không có voucher dùng được.";
      list.appendChild(none);
    }
    available.forEach(function (v) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = v.code + " · " + (v.title || (v.kind === "percent" ? v.value + "%" : vnd(v.value)));
      var use = document.createElement("button");
      use.type = "button";
      use.textContent = "Dùng";
      use.className = "use-voucher";
      use.setAttribute("data-code", v.code);
      use.addEventListener("click", function () { askRedeem(v.code); });
      li.appendChild(label);
      li.appendChild(use);
      list.appendChild(li);
    });
  }

  function find(key) {
    key = (key || "").trim();
    if (!key) { return Promise.resolve(); }
    clear("till-message");
    return api.call("GET", "/api/v1/admin/members/" + encodeURIComponent(key)).then(function (resp) {
      if (!resp.ok) {
        $("member").hidden = true;
        current = null;
        say("till-message", problemText(resp, "Không tìm được thành viên (lỗi " + resp.status + ")."), false);
        return;
      }
      clear("order-result");
      clear("redeem-result");
      show(resp.data);
    });
  }

  function refresh() {
    if (current) {
      return api.call("GET", "/api/v1/admin/members/" + encodeURIComponent(current.member_code)).then(function (resp) {
        if (resp.ok) { show(resp.data); }
      });
    }
    return Promise.resolve();
  }

  $("find").addEventListener("submit", function (event) {
    event.preventDefault();
    find($("key").value);
  });

  $("order").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!current) { return; }
    var amount = parseInt($("amount").value.replace(/[^0-9]/g, ""), 10);
    if (!amount) { say("order-result", "Nhập số tiền khách đã trả.", false); return; }
    var typed = $("order-id").value.trim();
    if (!typed && !pendingOrderId) {
      pendingOrderId = "till-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    }
    var orderId = typed || pendingOrderId;
    $("order-btn").disabled = true;
    api.call("POST", "/api/v1/admin/orders", { order_id: orderId, amount: amount, member_code: current.member_code })
      .then(function (resp) {
        if (!resp.ok) {
          say("order-result", problemText(resp, "Chưa ghi được đơn (lỗi " + resp.status + ")."), false);
          return;
        }
        var r = resp.data;
        var text = r.duplicate
          ? "Đơn " + r.order_id + " đã được ghi trước đó: không cộng thêm điểm."
          : "Đã ghi đơn " + r.order_id + " (" + vnd(r.amount) + "): +" + r.points + " điểm. Số dư " + r.balance + " điểm.";
        if (r.upgraded_from) { text += " Lên hạng " + r.tier + "!"; }
        say("order-result", text, true);
        pendingOrderId = "";
        $("amount").value = "";
        $("order-id").value = "";
        return refresh();
      })
      .finally(function () { $("order-btn").disabled = false; });
  });

  function askRedeem(code) {
    pendingVoucher = code;
    $("confirm-code").textContent = code;
    $("confirm").hidden = false;
    clear("redeem-result");
  }
  $("confirm-no").addEventListener("click", function () {
    pendingVoucher = "";
    $("confirm").hidden = true;
  });
  $("confirm-yes").addEventListener("click", function () {
    var code = pendingVoucher;
    if (!code) { return; }
    $("confirm-yes").disabled = true;
    api.call("POST", "/api/v1/admin/vouchers/" + encodeURIComponent(code) + "/redeem", {})
      .then(function (resp) {
        $("confirm").hidden = true;
        pendingVoucher = "";
        if (!resp.ok) {
          say("redeem-result", problemText(resp, "Chưa dùng được voucher (lỗi " + resp.status + ")."), false);
          return refresh();
        }
        var v = resp.data.voucher;
        say("redeem-result", "Đã dùng voucher " + v.code + (v.title ? " (" + v.title + ")" : "") + ".", true);
        return refresh();
      })
      .finally(function () { $("confirm-yes").disabled = false; });
  });

  // --- scanning: BarcodeDetector where the browser has it, else our own jsQR ---------------
  function stopScan() {
    if (scanning) {
      scanning.stream.getTracks().forEach(function (t) { t.stop(); });
      scanning = null;
    }
    $("scanner").hidden = true;
  }
  function loadJsQr() {
    if (window.jsQR) { return Promise.resolve(window.jsQR); }
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = "/admin/static/jsQR.js";
      s.onload = function () { resolve(window.jsQR); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function decoder() {
    if ("BarcodeDetector" in window) {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return Promise.resolve(function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      });
    }
    return loadJsQr().then(function (jsQR) {
      var canvas = document.createElement("canvas");
      var ctx = canvas.getContext("2d", { willReadFrequently: true });
      return function (video) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        if (!canvas.width) { return Promise.resolve(null); }
        ctx.drawImage(video, 0, 0);
        var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }
  $("scan-btn").addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("till-message", "Trình duyệt này không mở được máy ảnh: hãy gõ số điện thoại hoặc mã.", false);
      return;
    }
    Promise.all([
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }),
      decoder()
    ]).then(function (parts) {
      var stream = parts[0], detect = parts[1], video = $("video");
      scanning = { stream: stream };
      video.srcObject = stream;
      $("scanner").hidden = false;
      video.play();
      function tick() {
        if (!scanning) { return; }
        detect(video).then(function (text) {
          if (text) { stopScan(); find(text); } else { setTimeout(tick, 200); }
        }, function () { setTimeout(tick, 400); });
      }
      tick();
    }).catch(function () {
      stopScan();
      say("till-message", "Không mở được máy ảnh: hãy cho phép dùng máy ảnh, hoặc gõ số điện thoại.", false);
    });
  });
  $("scan-stop").addEventListener("click", stopScan);
})();
