using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using SwooleGateway.Gateway;
using SwooleGateway.Options;
using SwooleGateway.Register;
using SwooleGateway.Tests.Infrastructure;
using SwooleGateway.Worker;

namespace SwooleGateway.Tests;

/// <summary>docs/configuration.md lists every setting of every options type, and nothing else (issue 10).</summary>
[TestFixture]
public sealed partial class ConfigurationDocsTests
{
    [Test]
    public void Every_setting_is_documented_and_every_documented_setting_exists()
    {
        string doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        Collect(typeof(SwooleGatewayOptions), "SwooleGateway", expected);
        Collect(typeof(RegisterOptions), RegisterOptions.SectionName, expected);
        Collect(typeof(GatewayOptions), "SwooleGateway:Gateway", expected);
        Collect(typeof(WorkerOptions), WorkerOptions.SectionName, expected);

        var documented = new SortedSet<string>(SettingPattern().Matches(doc).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
        Assert.Multiple(() =>
        {
            Assert.That(expected.Where(k => !documented.Contains(k)), Is.Empty, "settings missing from docs/configuration.md");
            Assert.That(documented.Where(k => !expected.Contains(k)), Is.Empty, "settings in docs/configuration.md that no options type has");
        });
    }

    /// <summary>The configuration keys of a type's settable public properties: nested options recurse, lists get ":0..n" (":i:" for lists of options), maps ":NAME".</summary>
    private static void Collect(Type type, string prefix, ISet<string> keys)
    {
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            string key = $"{prefix}:{property.Name}";
            Type t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                keys.Add(key + ":NAME");
            }
            else if (t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t))
            {
                Type item = t.GetGenericArguments()[0];
                if (item == typeof(string))
                {
                    keys.Add(key + ":0..n");
                }
                else
                {
                    Collect(item, key + ":i", keys);
                }
            }
            else if (t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("SwooleGateway", StringComparison.Ordinal) == true)
            {
                Collect(t, key, keys);
            }
            else
            {
                keys.Add(key);
            }
        }
    }

    /// <summary>A setting in a table's first column: | `SwooleGateway:...` |.</summary>
    [GeneratedRegex(@"^\| `(SwooleGateway:[^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex SettingPattern();
}
