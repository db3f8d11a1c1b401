// Show amounts typed in 元 also in 万元 (two decimals, half up) next to the input, as finance officers read them.
(function () {
  function show(input) {
    var hint = input.parentNode.querySelector('.pf-wan[data-for="' + input.id + '"]');
    if (!hint) {
      hint = document.createElement('span');
      hint.className = 'pf-wan';
      hint.setAttribute('data-for', input.id);
      input.parentNode.insertBefore(hint, input.nextSibling);
    }
    var text = input.value.replace(/[,，\s]/g, '');
    var m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(text);
    if (!m) { hint.textContent = ''; return; }
    var fen = parseInt(m[1], 10) * 100 + parseInt(((m[2] || '') + '00').slice(0, 2), 10);
    var hundredths = Math.round(fen / 10000);  // 0.01 万元 = 100 元 = 10000 分
    var whole = String(Math.floor(hundredths / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    hint.textContent = '= ' + whole + '.' + ('0' + (hundredths % 100)).slice(-2) + ' 万元';
  }
  var inputs = document.querySelectorAll('input[data-money="yuan"]');
  for (var i = 0; i < inputs.length; i++) {
    show(inputs[i]);
    inputs[i].addEventListener('input', function (e) { show(e.target); });
  }
})();
