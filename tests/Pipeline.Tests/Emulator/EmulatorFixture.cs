using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Emulator;

/// <summary>Tests that talk to the fauxqs emulator share one instance of it through this collection.</summary>
[CollectionDefinition("emulator")]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
}

/// <summary>
/// Runs fauxqs (a local SQS/SNS/S3 emulator, pinned in the repo's package.json) on 127.0.0.1 and a free port
/// for the tests of the <c>emulator</c> collection. Start-up fails loudly, never skips: without
/// <c>node_modules/fauxqs</c> it tells you to run <c>npm ci</c> at the repo root.
/// </summary>
/// <remarks>
/// One emulator serves every test in the collection, so each test names its own buckets, queues and topics
/// with <see cref="UniqueName"/>. The node process is started with its stdin on a pipe; the script exits when
/// that pipe closes, so even a test host that dies without disposing us does not leave it running.
/// </remarks>
public sealed class EmulatorFixture : IAsyncLifetime
{
    /// <summary>The region every client (and the emulator's ARNs and queue URLs) uses.</summary>
    public const string Region = "us-east-1";

    /// <summary>The dummy key id and secret: fauxqs checks no signature.</summary>
    public const string AccessKey = "test";

    /// <summary>The dummy secret key.</summary>
    public const string SecretKey = "test";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly StringBuilder _stderr = new();
    private Process? _node;
    private HttpClient? _http;
    private FauxqsSns? _sns;

    /// <summary>The emulator's single endpoint for S3, SQS and SNS: <c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string ServiceUrl { get; private set; } = "";

    /// <summary>The port the emulator listens on (on 127.0.0.1 only).</summary>
    public int Port { get; private set; }

    /// <summary>Process id of the node process serving the emulator (to read its CPU time and memory from /proc).</summary>
    public int ProcessId => _node?.Id ?? throw new InvalidOperationException("The emulator is not started.");

    /// <summary>How long start-up took: spawning node, fauxqs listening, and the health check answering.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>An SNS client for the Query API over plain HTTP (there is no SNS SDK package on our feed).</summary>
    public FauxqsSns Sns => _sns ?? throw new InvalidOperationException("The emulator is not started.");

    /// <summary>Everything the emulator wrote to stderr so far (it writes nothing unless something goes wrong).</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The credentials fauxqs accepts (any).</summary>
    public static AWSCredentials Credentials { get; } = new BasicAWSCredentials(AccessKey, SecretKey);

    public async Task InitializeAsync()
    {
        var root = RepoRoot.Path;
        var script = Path.Combine(root, "tests", "emulator", "fauxqs-loopback.mjs");
        var package = Path.Combine(root, "node_modules", "fauxqs", "package.json");
        if (!File.Exists(package))
        {
            throw new InvalidOperationException(
                $"The fauxqs emulator is not installed ({package} is missing): run `npm ci` at the repo root ({root}).");
        }

        var started = Stopwatch.StartNew();
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(script);

        var node = new Process { StartInfo = start };
        node.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        try
        {
            node.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            node.Dispose();
            throw new InvalidOperationException("Could not start `node` (Node.js 20+ must be on PATH) for the fauxqs emulator.", ex);
        }

        _node = node;
        node.BeginErrorReadLine();

        Port = await ReadPortAsync(node);
        ServiceUrl = $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";
        _http = new HttpClient { BaseAddress = new Uri(ServiceUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };

        using (var health = await _http.GetAsync(new Uri("health", UriKind.Relative)))
        {
            var body = await health.Content.ReadAsStringAsync();
            if (!health.IsSuccessStatusCode || !body.Contains("\"ok\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"fauxqs health check at {ServiceUrl}/health answered {(int)health.StatusCode}: {body}");
            }
        }

        _sns = new FauxqsSns(_http);
        StartupTime = started.Elapsed;
    }

    private async Task<int> ReadPortAsync(Process node)
    {
        string? line;
        try
        {
            line = await node.StandardOutput.ReadLineAsync().WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"fauxqs did not report its port within {StartTimeout.TotalSeconds:0} s. stderr:{Environment.NewLine}{Stderr}");
        }

        if (line is null)
        {
            // stdout closed: the script died. Give stderr a moment to drain before quoting it.
            await node.WaitForExitAsync().WaitAsync(StopTimeout).ContinueWith(_ => { }, TaskScheduler.Default);
            var code = node.HasExited ? node.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running";
            throw new InvalidOperationException(
                $"fauxqs exited before reporting its port (exit code {code}). stderr:{Environment.NewLine}{Stderr}");
        }

        try
        {
            using var ready = JsonDocument.Parse(line);
            return ready.RootElement.GetProperty("port").GetInt32();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidOperationException(
                $"fauxqs printed an unexpected ready line: {line}. stderr:{Environment.NewLine}{Stderr}", ex);
        }
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_node is null)
        {
            return;
        }

        try
        {
            if (!_node.HasExited)
            {
                // Closing stdin is the script's signal to close the server and exit.
                _node.StandardInput.Close();
                try
                {
                    await _node.WaitForExitAsync().WaitAsync(StopTimeout);
                }
                catch (TimeoutException)
                {
                    _node.Kill(entireProcessTree: true);
                    await _node.WaitForExitAsync();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _node.Dispose();
            _node = null;
        }
    }

    /// <summary>An S3 client for the emulator: path-style addressing, dummy credentials, the SDK's default checksum settings.</summary>
    /// <remarks>
    /// AWSSDK.S3 v4 defaults to <c>RequestChecksumCalculation = WHEN_SUPPORTED</c>: PutObject sends its body aws-chunked with a
    /// CRC32 trailer. fauxqs 1.9.2 decodes aws-chunked bodies and ignores the trailer, and returns no checksum headers, so
    /// the defaults work and we keep them (<c>WHEN_REQUIRED</c> is not needed). The emulator therefore never exercises the
    /// SDK's response checksum validation.
    /// </remarks>
    public AmazonS3Client CreateS3Client() => new(Credentials, new AmazonS3Config
    {
        ServiceURL = ServiceUrl,
        AuthenticationRegion = Region,
        ForcePathStyle = true,
    });

    /// <summary>An SQS client for the emulator (JSON protocol, which is what AWSSDK.SQS v4 speaks and fauxqs serves).</summary>
    public AmazonSQSClient CreateSqsClient() => new(Credentials, new AmazonSQSConfig
    {
        ServiceURL = ServiceUrl,
        AuthenticationRegion = Region,
    });

    /// <summary>A name that no other test uses, valid as a bucket, queue or topic name: lower case, digits and hyphens, at most 63 characters.</summary>
    public string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var name = $"{prefix.ToLowerInvariant()}-{Guid.NewGuid():N}";
        return name.Length <= 63 ? name : name[..63];
    }

    /// <summary>
    /// The standard AWS SDK environment variables with which a child process reaches this emulator through clients built
    /// with no explicit endpoint or credentials (<c>new AmazonSQSClient()</c>, <c>new AmazonS3Client()</c>).
    /// </summary>
    /// <remarks>
    /// The S3 client picks path-style addressing on its own here only because the endpoint is an IP literal
    /// (127.0.0.1); the SDK ignores <c>AWS_S3_FORCE_PATH_STYLE</c>, so with a host name endpoint (e.g. localhost) the
    /// production code must set <see cref="AmazonS3Config.ForcePathStyle"/> itself.
    /// </remarks>
    public IReadOnlyDictionary<string, string> AwsEnvironment() => AwsEnvironment(ServiceUrl);

    /// <summary>As <see cref="AwsEnvironment()"/>, with another spelling of the endpoint (e.g. <c>http://localhost:port</c>).</summary>
    public static IReadOnlyDictionary<string, string> AwsEnvironment(string endpointUrl) => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL"] = endpointUrl,
        ["AWS_REGION"] = Region,
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
    };
}
