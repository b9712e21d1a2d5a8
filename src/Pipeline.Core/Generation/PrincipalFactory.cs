namespace Pipeline.Generation;

/// <summary>Builds the principals of each account with realistic identities, session habits and key sets.</summary>
internal sealed class PrincipalFactory
{
    private static readonly string[] SdkAgents =
    [
        "aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. md/internal io/sync http/Apache cfg/retry-mode/legacy",
        "Boto3/1.34.120 md/Botocore#1.34.120 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.120",
        "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/kms#1.35.3",
        "aws-sdk-nodejs/3.614.0 linux/v20.15.1 exec-env/AWS_Lambda_nodejs20.x",
    ];

    private static readonly string[] HumanAgents =
    [
        "AWS Internal",
        "aws-cli/2.17.13 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#kms.describe-key",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
        "Terraform/1.9.2 (+https://www.terraform.io) terraform-provider-aws/5.58.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5",
    ];

    private readonly GenRandom _rng;
    private readonly IReadOnlyList<OrgAccount> _accounts;
    private readonly IReadOnlyList<string> _regions;
    private readonly Dictionary<(int, int), List<KmsKey>> _keys;

    public PrincipalFactory(GenRandom rng, IReadOnlyList<OrgAccount> accounts, IReadOnlyList<string> regions, Dictionary<(int, int), List<KmsKey>> keys)
    {
        _rng = rng;
        _accounts = accounts;
        _regions = regions;
        _keys = keys;
    }

    public List<Principal> Principals { get; } = [];

    public void AddAccountPrincipals(OrgAccount account)
    {
        var lambdas = _rng.Next(2, 4);
        for (var i = 0; i < lambdas; i++)
        {
            var fns = Enumerable.Range(0, _rng.Next(2, 5)).Select(_ => Population.FunctionName(_rng)).Distinct().ToArray();
            var name = $"{fns[0]}-role-{_rng.LowerAlnumString(8)}";
            // Half of the Lambda roles decrypt their environment through the Lambda service (invokedBy).
            AddRole(account, "service-role/", name, SessionStyle.FunctionName, fns, UsageProfile.LambdaEnvironment,
                _rng.Chance(0.5) ? "lambda.amazonaws.com" : null, LogRate(150, 1500), SdkAgents);
        }

        var instances = Enumerable.Range(0, _rng.Next(3, 8)).Select(_ => "i-0" + _rng.Hex(16)).ToArray();
        AddRole(account, "", $"{account.Name}-app-server", SessionStyle.InstanceId, instances, UsageProfile.Ebs, null, LogRate(80, 600), SdkAgents);
        AddRole(account, "", $"{account.Name}-ecs-task", SessionStyle.Random, [], UsageProfile.Application, null, LogRate(100, 1200), SdkAgents);
        AddRole(account, "", $"{account.Name}-data-pipeline", SessionStyle.Random, [], UsageProfile.S3OnBehalf, "s3.amazonaws.com", LogRate(200, 2000), ["s3.amazonaws.com"]);
        AddRole(account, "", $"{account.Name}-secrets-reader", SessionStyle.FunctionName, [Population.FunctionName(_rng)], UsageProfile.SecretsManager, "secretsmanager.amazonaws.com", LogRate(20, 200), ["secretsmanager.amazonaws.com"]);

        var emails = People.Select(p => $"{p}@example.com").Take(_rng.Next(3, 6)).ToArray();
        AddRole(account, "aws-reserved/sso.amazonaws.com/", $"AWSReservedSSO_AdministratorAccess_{_rng.Hex(16)}", SessionStyle.Email, emails,
            UsageProfile.Administrator, null, LogRate(3, 15), HumanAgents);
        AddUser(account, "ci-deploy", UsageProfile.Administrator, LogRate(2, 10));
        AddUser(account, "backup-svc", UsageProfile.Application, LogRate(10, 80));
        AddPrincipal(new Principal
        {
            Index = Principals.Count,
            Kind = PrincipalKind.Root,
            Account = account,
            AccountId = account.Id,
            Normalized = $"arn:aws:iam::{account.Id}:root",
            Arn = $"arn:aws:iam::{account.Id}:root",
            PrincipalId = account.Id,
            Profile = UsageProfile.Administrator,
            Regions = [0],
            KeysByRegion = KeysFor(account, [0], crossAccount: false),
            KmsDailyRate = 0.1,
            UserAgents = HumanAgents,
            SourceIps = Ips(2),
        });
    }

    public void AddServiceAndExternalPrincipals()
    {
        var logArchive = _accounts[0];
        var all = Enumerable.Range(0, _regions.Count).ToArray();
        // CloudTrail itself asks for data keys to encrypt the trail's log files (SSE-KMS on the trail).
        AddPrincipal(Service(logArchive, "cloudtrail.amazonaws.com", UsageProfile.CloudTrailService, all, 300));
        foreach (var account in _accounts.Skip(1))
        {
            AddPrincipal(Service(account, "logs.amazonaws.com", UsageProfile.Application, [0], LogRate(20, 100)));
        }

        // A partner outside the organization reading data encrypted with a prod key: appears as AWSAccount.
        var external = "7" + _rng.Digits(11);
        var owner = _accounts[1];
        AddPrincipal(new Principal
        {
            Index = Principals.Count,
            Kind = PrincipalKind.AwsAccount,
            Account = null,
            AccountId = external,
            Normalized = $"arn:aws:iam::{external}:root",
            PrincipalId = "AIDA" + _rng.IamId(17),
            Profile = UsageProfile.ExternalReader,
            Regions = [0],
            KeysByRegion = new Dictionary<int, KmsKey[]> { [0] = [_keys[(owner.Index, 0)][1]] },
            KmsDailyRate = LogRate(20, 120),
            UserAgents = SdkAgents,
            SourceIps = Ips(3),
        });
    }

    private Principal Service(OrgAccount account, string host, UsageProfile profile, int[] regions, double rate) => new()
    {
        Index = Principals.Count,
        Kind = PrincipalKind.AwsService,
        Account = account,
        AccountId = account.Id,
        Normalized = "service:" + host,
        InvokedBy = host,
        Profile = profile,
        Regions = regions,
        KeysByRegion = KeysFor(account, regions, crossAccount: false),
        KmsDailyRate = rate,
        UserAgents = [host],
        SourceIps = [host],
    };

    private void AddRole(OrgAccount account, string path, string name, SessionStyle sessions, string[] sessionNames,
        UsageProfile profile, string? invokedBy, double rate, string[] agents)
    {
        var regions = RegionsFor();
        // Roles in member accounts sometimes use a key of another member account: cross-account decrypts.
        var cross = !account.IsLogArchive && profile is UsageProfile.LambdaEnvironment or UsageProfile.Application && _rng.Chance(0.4);
        AddPrincipal(new Principal
        {
            Index = Principals.Count,
            Kind = PrincipalKind.AssumedRole,
            Account = account,
            AccountId = account.Id,
            Name = name,
            Arn = $"arn:aws:iam::{account.Id}:role/{path}{name}",
            Normalized = $"arn:aws:iam::{account.Id}:role/{path}{name}",
            PrincipalId = "AROA" + _rng.IamId(17),
            Sessions = sessions,
            SessionNames = sessionNames,
            InvokedBy = invokedBy,
            Profile = profile,
            Regions = regions,
            KeysByRegion = KeysFor(account, regions, cross),
            KmsDailyRate = rate,
            UserAgents = agents,
            SourceIps = invokedBy is null ? Ips(4) : [invokedBy],
        });
    }

    private void AddUser(OrgAccount account, string name, UsageProfile profile, double rate)
    {
        var regions = RegionsFor();
        AddPrincipal(new Principal
        {
            Index = Principals.Count,
            Kind = PrincipalKind.IamUser,
            Account = account,
            AccountId = account.Id,
            Name = name,
            Arn = $"arn:aws:iam::{account.Id}:user/{name}",
            Normalized = $"arn:aws:iam::{account.Id}:user/{name}",
            PrincipalId = "AIDA" + _rng.IamId(17),
            Profile = profile,
            Regions = regions,
            KeysByRegion = KeysFor(account, regions, crossAccount: false),
            KmsDailyRate = rate,
            UserAgents = profile == UsageProfile.Administrator ? HumanAgents : SdkAgents,
            SourceIps = Ips(2),
        });
    }

    private void AddPrincipal(Principal p) => Principals.Add(p);

    private int[] RegionsFor() => _rng.Chance(0.6) ? [0] : Enumerable.Range(0, _regions.Count).Where(_ => _rng.Chance(0.7)).Append(0).Distinct().Order().ToArray();

    private Dictionary<int, KmsKey[]> KeysFor(OrgAccount account, IReadOnlyList<int> regions, bool crossAccount)
    {
        var result = new Dictionary<int, KmsKey[]>();
        foreach (var r in regions)
        {
            var own = _keys[(account.Index, r)];
            var chosen = own.Where(_ => _rng.Chance(0.5)).DefaultIfEmpty(own[_rng.Next(own.Count)]).ToList();
            if (crossAccount)
            {
                // The next member account (wrapping past the log archive) owns the foreign key.
                var other = _accounts[account.Index + 1 < _accounts.Count ? account.Index + 1 : 1];
                if (other.Index != account.Index)
                {
                    chosen.Add(_keys[(other.Index, r)][^1]);
                }
            }

            result[r] = [.. chosen];
        }

        return result;
    }

    private double LogRate(double min, double max) => Math.Exp(Math.Log(min) + (_rng.NextDouble() * (Math.Log(max) - Math.Log(min))));

    private string[] Ips(int count) =>
        Enumerable.Range(0, count).Select(_ => _rng.Chance(0.7)
            ? $"10.{_rng.Next(0, 255)}.{_rng.Next(0, 255)}.{_rng.Next(1, 255)}"
            : $"{_rng.Next(3, 99)}.{_rng.Next(0, 255)}.{_rng.Next(0, 255)}.{_rng.Next(1, 255)}").ToArray();

    private static readonly string[] People = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];
}
