/*
 * imatch-socials IMatch app: runs `imatch-socials --headless --json` through
 * IMatch.processRun and shows the JSON report it prints.
 *
 * The application variable imatch_to_socials_python_script_path names the FOLDER that
 * holds imatch-socials.exe (for a virtual environment: its Scripts folder). The app runs
 * <folder>\imatch-socials.exe. A value that already ends in imatch-socials.exe is used as
 * it is; a folder starting with "/" (Linux or macOS, used when testing the app in the
 * sandbox) gets /imatch-socials.
 *
 * IMatch reads processRun's `executable` as the start of a command line (the original
 * tool passed "python.exe <script>" there), so the program's path is passed in double
 * quotes: a folder such as C:\Program Files\... then works.
 *
 * Optional: imatch_to_socials_timeout, seconds a run may take (default 1800).
 *
 * Uses only what IMatch bundles: IMWS.get (imwslib.js) and IMatch.processRun
 * (imatchlib.js); both return promises, used here with .then(ok, failed) only.
 */
(function () {
    'use strict';

    var SCRIPT_VARIABLE = 'imatch_to_socials_python_script_path';
    var TIMEOUT_VARIABLE = 'imatch_to_socials_timeout';
    var DEFAULT_TIMEOUT = 1800;
    var EXIT_MEANING = {
        0: 'all went well',
        1: 'some photos failed',
        2: 'nothing could run (configuration, IMatch connection, login or another run ' +
            'in progress)'
    };
    var RUN_COUNTS = [
        ['added', 'Added'],
        ['updated', 'Updated (image and metadata)'],
        ['metadata', 'Metadata updated'],
        ['deleted', 'Deleted'],
        ['cleared', 'Delete flags cleared (never posted)', true],
        ['reposted', 'Reposted as new posts (changed files)', true],
        ['adopted', 'Recovered from an interrupted run', true],
        ['completed', 'Changes of an interrupted run recorded', true],
        ['unrecorded', 'Made, not yet recorded in IMatch (the next run records them)', true],
        ['failed', 'Failed'],
        ['errors', 'With errors (see __errors in IMatch)'],
        ['unchanged', 'Unchanged'],
        ['changed_left', 'Changed in IMatch, left as they are (--only changed publishes them)', true],
        ['skipped', 'Not started', true]
    ];
    var PLAN_COUNTS = [
        ['add', 'To add'],
        ['update', 'To update (image and metadata)'],
        ['metadata', 'Metadata to update'],
        ['delete', 'To delete'],
        ['error', 'With errors (nothing is sent)'],
        ['changed', 'Changed in IMatch since published'],
        ['unchanged', 'Unchanged']
    ];

    var state = { executable: '', timeout: DEFAULT_TIMEOUT, running: false };

    function $id(id) {
        return document.getElementById(id);
    }

    function element(tag, text, attributes) {
        var node = document.createElement(tag);
        if (text !== undefined && text !== null) {
            node.textContent = String(text);
        }
        Object.keys(attributes || {}).forEach(function (name) {
            node.setAttribute(name, attributes[name]);
        });
        return node;
    }

    function setStatus(kind, message) {
        var status = $id('status');
        status.setAttribute('data-state', kind);
        status.textContent = message;
    }

    function setButtons(enabled) {
        Array.prototype.forEach.call(document.querySelectorAll('#toolbar button'),
            function (button) {
                button.disabled = !enabled;
            });
    }

    /* One "<name> only" button per platform the program knows (`platforms --json`), so a
       new platform needs no change here. Without an answer only "Sync all" is offered. */
    function addPlatformButtons(platforms) {
        var before = $id('run-dry');
        platforms.forEach(function (platform) {
            var name = String(platform.name);
            var button = element('button', name + ' only', { type: 'button', id: 'run-' + name });
            button.disabled = true;
            if (platform.enabled === false) {
                button.title = name + ' is disabled in config.toml';
            }
            button.addEventListener('click', function () { run(name, false); });
            before.parentNode.insertBefore(button, before);
        });
    }

    function loadPlatforms() {
        return IMatch.processRun({
            executable: commandPath(state.executable),
            parameters: 'platforms --json',
            showwindow: false,
            timeout: 60
        }).then(
            function (result) {
                var answer = parseReport(result && result.output);
                addPlatformButtons(answer && answer.platforms ? answer.platforms : []);
            },
            function () {
                addPlatformButtons([]);
            }
        );
    }

    function describeFailure(failure) {
        // jQuery's jqXHR (IMatch) or a plain object with the same keys.
        if (!failure) {
            return 'no answer';
        }
        if (failure.responseJSON && failure.responseJSON.error) {
            return failure.responseJSON.error.message || JSON.stringify(failure.responseJSON);
        }
        if (failure.responseText) {
            return failure.responseText;
        }
        if (failure.status) {
            return 'HTTP ' + failure.status;
        }
        return String(failure.message || failure);
    }

    /* The program to run, from the folder named by the application variable. */
    function executablePath(folder) {
        var value = String(folder).trim().replace(/^"(.*)"$/, '$1');
        if (/(^|[\\/])imatch-socials(\.exe)?$/i.test(value)) {
            return value;
        }
        if (value.charAt(0) === '/') {
            return value.replace(/\/+$/, '') + '/imatch-socials';
        }
        return value.replace(/[\\/]+$/, '') + '\\imatch-socials.exe';
    }

    /* The program as the start of a Windows command line: quoted, so spaces are kept. */
    function commandPath(path) {
        return '"' + path + '"';
    }

    function readVariable(name) {
        return IMWS.get('v1/imatch/appvar', { name: name }).then(
            function (response) {
                var value = response ? response.value : undefined;
                return value === undefined || value === null ? '' : String(value).trim();
            },
            function () {
                return '';
            }
        );
    }

    function loadSettings() {
        readVariable(TIMEOUT_VARIABLE).then(function (value) {
            var seconds = parseInt(value, 10);
            if (seconds > 0) {
                state.timeout = seconds;
            }
        });
        IMWS.get('v1/imatch/appvar', { name: SCRIPT_VARIABLE }).then(
            function (response) {
                var folder = response && response.value !== undefined && response.value !== null
                    ? String(response.value).trim() : '';
                if (!folder) {
                    setStatus('error',
                        'The IMatch application variable ' + SCRIPT_VARIABLE + ' is not set. ' +
                        'Create it (Edit > Preferences > Variables) holding the folder that ' +
                        'contains imatch-socials.exe, for example ' +
                        'C:\\Tools\\imatch-socials\\.venv\\Scripts, then reload this app.');
                    return;
                }
                state.executable = executablePath(folder);
                $id('command').textContent = 'Runs ' + state.executable;
                loadPlatforms().then(function () {
                    setStatus('idle', 'Ready. Choose what to run.');
                    setButtons(true);
                });
            },
            function (failure) {
                setStatus('error',
                    'Cannot read the application variable ' + SCRIPT_VARIABLE + ' from IMatch: ' +
                    describeFailure(failure));
            }
        );
    }

    function run(platform, dryRun) {
        if (state.running) {
            return;
        }
        var parameters = '--headless --json';
        if (platform) {
            parameters += ' --platform ' + platform;
        }
        if (dryRun) {
            parameters += ' --dry-run';
        }
        var what = (dryRun ? 'Dry run of ' : 'Syncing ') + (platform || 'all platforms');
        state.running = true;
        setButtons(false);
        $id('report').replaceChildren();
        $id('stdout').textContent = '';
        $id('stderr').textContent = '';
        $id('log').open = false;
        $id('command').textContent = commandPath(state.executable) + ' ' + parameters;
        setStatus('running', what + '\u2026 (started ' + new Date().toLocaleTimeString() +
            '; at most ' + state.timeout + ' s)');
        IMatch.processRun({
            executable: commandPath(state.executable),
            parameters: parameters,
            showwindow: false,
            timeout: state.timeout
        }).then(
            function (result) {
                finish();
                showResult(result || {}, what);
            },
            function (failure) {
                finish();
                setStatus('error', 'IMatch could not run ' + state.executable + ': ' +
                    describeFailure(failure));
                $id('stderr').textContent = failure && failure.responseText ? failure.responseText : '';
                $id('log').open = true;
            }
        );
    }

    function finish() {
        state.running = false;
        setButtons(true);
    }

    function parseReport(output) {
        var text = String(output || '').trim();
        if (!text) {
            return null;
        }
        try {
            return JSON.parse(text);
        } catch (error) {
            // Something else reached standard output: use the last JSON document.
            var start = text.lastIndexOf('\n{');
            if (start >= 0) {
                try {
                    return JSON.parse(text.slice(start + 1));
                } catch (ignored) {
                    return null;
                }
            }
            return null;
        }
    }

    function showResult(result, what) {
        var output = result.output || '';
        var errorOutput = result.errorOutput || '';
        $id('stdout').textContent = output;
        $id('stderr').textContent = errorOutput;
        if (result.result !== 'ok') {
            setStatus('error', 'imatch-socials did not finish: IMatch answered "' +
                (result.result || 'no result') + '". If the run takes longer than ' +
                state.timeout + ' s, set the application variable ' + TIMEOUT_VARIABLE +
                ' to more seconds. Everything it printed is below.');
            $id('log').open = true;
            return;
        }
        var code = result.exitCode;
        var report = parseReport(output);
        if (!report || typeof report.platforms !== 'object') {
            setStatus('error', 'imatch-socials stopped with exit code ' + code +
                ' and printed no report. Everything it printed is below.');
            $id('log').open = true;
            return;
        }
        renderReport(report);
        var meaning = EXIT_MEANING[code] || 'an unexpected exit code';
        if (code === 0) {
            setStatus('ok', what + ': finished, ' + meaning + '.');
        } else if (code === 1) {
            setStatus('warning', what + ': finished, but ' + meaning + ' (exit code 1). ' +
                'See the failures below.');
            $id('log').open = true;
        } else {
            setStatus('error', what + ': ' + meaning + ' (exit code ' + code + '). ' +
                'See below.');
            $id('log').open = true;
        }
    }

    function countTable(values, rows) {
        var table = element('table', null, { 'class': 'counts' });
        rows.forEach(function (row) {
            var key = row[0];
            var value = Number(values[key] || 0);
            if (row[2] && !value) {
                return;
            }
            var tr = element('tr', null, { 'data-count': key });
            tr.appendChild(element('th', row[1], { scope: 'row' }));
            tr.appendChild(element('td', value, { 'class': value ? 'nonzero' : 'zero' }));
            table.appendChild(tr);
        });
        return table;
    }

    function listSection(title, className, items, render) {
        var section = element('div', null, { 'class': className });
        section.appendChild(element('h3', title + ' (' + items.length + ')'));
        var list = element('ul');
        items.forEach(function (item) {
            list.appendChild(render(item));
        });
        section.appendChild(list);
        return section;
    }

    function renderPlatform(name, data) {
        var section = element('section', null, { 'class': 'platform', 'data-platform': name });
        var status = data.status || 'unknown';
        var heading = element('h2', name + ' ');
        heading.appendChild(element('span', status, { 'class': 'badge', 'data-status': status }));
        section.appendChild(heading);
        if (status === 'not run') {
            section.appendChild(element('p', 'Could not run: ' + (data.problem || 'no reason given'),
                { 'class': 'problem' }));
            return section;
        }
        if (status === 'dry run') {
            section.appendChild(element('p', 'Nothing was changed. This is what a sync would do; ' +
                'the photo by photo list is in the output below.', { 'class': 'muted' }));
            section.appendChild(countTable(data.plan || {}, PLAN_COUNTS));
            return section;
        }
        if (data.stopped) {
            section.appendChild(element('p', 'Stopped: ' + data.stopped, { 'class': 'problem' }));
        }
        if (data.limited) {
            section.appendChild(element('p', 'Uploads stopped for this run: ' + data.limited,
                { 'class': 'problem', 'data-limited': '' }));
        }
        if (data.categories_written === false) {
            section.appendChild(element('p', 'The __errors categories could not be updated in ' +
                'IMatch this time; the next run does it.', { 'class': 'problem' }));
        }
        section.appendChild(countTable(data, RUN_COUNTS));
        var gone = data.gone || [];
        if (gone.length) {
            section.appendChild(listSection('Files no longer in IMatch', 'gone', gone,
                function (item) {
                    return element('li', item);
                }));
        }
        var failures = data.failures || [];
        if (failures.length) {
            section.appendChild(listSection('Failed', 'failures', failures, function (item) {
                var li = element('li');
                li.appendChild(element('strong', item[0], { 'class': 'photo' }));
                li.appendChild(element('span', ': ' + item[1], { 'class': 'reason' }));
                return li;
            }));
        }
        var errors = data.error_photos || [];
        if (errors.length) {
            section.appendChild(listSection('Photos with errors', 'error-photos', errors,
                function (item) {
                    var li = element('li');
                    li.appendChild(element('strong', item[0], { 'class': 'photo' }));
                    li.appendChild(element('span', ': ' + (item[1] || []).join(', '),
                        { 'class': 'reason' }));
                    return li;
                }));
        }
        var warnings = data.warnings || [];
        if (warnings.length) {
            section.appendChild(listSection('Warnings', 'warnings', warnings, function (item) {
                return element('li', item);
            }));
        }
        return section;
    }

    function renderReport(report) {
        var target = $id('report');
        target.replaceChildren();
        var names = Object.keys(report.platforms);
        if (report.problem) {
            // Nothing could run (configuration, IMatch, another run): the report says why.
            target.appendChild(element('p', 'Could not run: ' + report.problem,
                { 'class': 'problem', 'id': 'run-problem' }));
        } else if (!names.length) {
            target.appendChild(element('p', 'No platform was run (none is enabled).'));
        }
        names.forEach(function (name) {
            target.appendChild(renderPlatform(name, report.platforms[name]));
        });
        target.setAttribute('data-exit-code', String(report.exit_code));
        if (names.some(function (name) { return report.platforms[name].status === 'dry run'; })) {
            $id('log').open = true;  // the photo by photo plan is in the run's log
        }
    }

    function start() {
        $id('run-all').addEventListener('click', function () { run('', false); });
        $id('run-dry').addEventListener('click', function () { run('', true); });
        if (typeof IMWS === 'undefined' || typeof IMatch === 'undefined') {
            setStatus('error', 'This page must run inside IMatch (as an IMatch app): the ' +
                'IMatch libraries imwslib.js and imatchlib.js are missing.');
            return;
        }
        loadSettings();
    }

    // Exposed for tests and the curious.
    window.imatchSocialsApp = { executablePath: executablePath, commandPath: commandPath };

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
}());
